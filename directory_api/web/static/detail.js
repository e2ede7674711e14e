// Detail page: « Partager »; the « Signaler une erreur » form is sent with fetch (the page stays where it is); without
// JavaScript, or if fetch fails, it is posted as a plain form and the server redirects back.
(function () {
  "use strict";
  // « Partager » through the phone's own share sheet (Web Share API), where there is one.
  var share = document.getElementById("share");
  if (share && navigator.share) {
    share.hidden = false;
    share.addEventListener("click", function () {
      navigator.share({ title: document.title, text: share.getAttribute("data-text") }).catch(function () {});
    });
  }
})();
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var status = document.getElementById("report-status");
  if (!form || !status || !window.fetch) return;

  function say(text, isError) {
    status.textContent = "";
    var p = document.createElement("p");
    p.className = isError ? "error-summary" : "notice";
    p.textContent = text;
    status.appendChild(p);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var kind = form.querySelector("input[name=kind]:checked");
    var body = {
      kind: kind ? kind.value : "",
      message: form.elements.message.value,
      contact: form.elements.contact.value.trim() || null
    };
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.getAttribute("data-api"), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) {
        button.disabled = false;
        if (response.ok) {
          form.reset();
          say(answer.detail, false);
        } else {
          say("Le signalement n'a pas été envoyé. " + (answer.detail || ""), true);
        }
      });
    }).catch(function () {
      button.disabled = false;
      form.submit(); // the server-side path still works
    });
  });
})();
