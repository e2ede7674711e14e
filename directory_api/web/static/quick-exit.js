// « Quitter rapidement » : leaves at once for a neutral site, clears what this tab kept (the chat is only
// in sessionStorage), and replaces the history entry so that « Retour » does not come back here.
(function () {
  "use strict";
  var link = document.getElementById("quick-exit");
  if (!link) return;
  function leave(event) {
    if (event) event.preventDefault();
    try { window.sessionStorage.clear(); } catch (e) { /* storage may be disabled */ }
    // The assistant forgets the conversation and the cookie is replaced, even as the page goes away.
    try { if (document.getElementById("chat") && navigator.sendBeacon) navigator.sendBeacon("/chat/reset"); } catch (e) { /* not sent */ }
    document.body.textContent = "";
    window.location.replace(link.href);
  }
  link.addEventListener("click", leave);
  // Échap deux fois de suite : sortie rapide au clavier.
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var now = Date.now();
    if (now - lastEscape < 800) leave();
    lastEscape = now;
  });
})();
