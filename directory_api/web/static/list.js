// « Ma liste »: places a social worker keeps across several searches, in this browser only
// (localStorage « liste.v1 », a list of ids). On a results page: « Ajouter à ma liste » on each place
// and a link « Ma liste (N) »; on /liste: the page shows the stored ids, « Retirer », « Vider », « Imprimer ».
(function () {
  "use strict";
  var KEY = "liste.v1";
  var MAX = 100;

  function load() {
    try {
      var ids = JSON.parse(localStorage.getItem(KEY) || "[]");
      return Array.isArray(ids) ? ids.filter(function (id) { return typeof id === "string"; }).slice(0, MAX) : [];
    } catch (e) {
      return [];
    }
  }
  function save(ids) {
    try { localStorage.setItem(KEY, JSON.stringify(ids.slice(0, MAX))); } catch (e) { /* private mode: the list is not kept */ }
  }
  function listHref(ids) { return "/liste?ids=" + encodeURIComponent(ids.join(",")); }

  var onListPage = location.pathname === "/liste";
  var ids = load();
  var params = new URLSearchParams(location.search);
  if (onListPage && !params.has("ids") && ids.length) {
    location.replace(listHref(ids));
    return;
  }

  var counter = null;
  var tools = document.querySelector(".results-section .tools");
  if (!onListPage && tools) {
    counter = document.createElement("a");
    counter.className = "button secondary";
    tools.appendChild(counter);
  }
  function refresh() {
    if (counter) {
      counter.textContent = "Ma liste (" + ids.length + ")";
      counter.href = listHref(ids);
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("li.result[data-id]"), function (li) {
    var id = li.getAttribute("data-id");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary list-toggle no-print";
    function draw() {
      var kept = ids.indexOf(id) >= 0;
      button.setAttribute("aria-pressed", kept ? "true" : "false");
      button.textContent = onListPage ? "Retirer de ma liste" : (kept ? "Dans ma liste ✓" : "Ajouter à ma liste");
    }
    button.addEventListener("click", function () {
      var at = ids.indexOf(id);
      if (at >= 0) ids.splice(at, 1); else if (ids.length < MAX) ids.push(id);
      save(ids);
      if (onListPage) { location.replace(listHref(ids)); return; }
      draw();
      refresh();
    });
    draw();
    li.appendChild(button);
  });
  refresh();

  var clear = document.getElementById("list-clear");
  if (clear) {
    clear.hidden = false;
    clear.addEventListener("click", function () { ids = []; save(ids); location.replace("/liste"); });
  }
  var printButton = onListPage ? document.getElementById("print") : null;
  if (printButton) {
    printButton.hidden = false;
    printButton.addEventListener("click", function () { window.print(); });
  }
})();
