// Search page improvements; the page works without them (plain GET form, server-rendered results).
// - suggestions for the need (/categories/match) and the place (/places) in <datalist>s;
// - « Me localiser »: the browser's position fills lat/lon (rounded to ~100 m) instead of a place;
// - empty fields are left out of the URL, so that a shared link stays short;
// - « Imprimer »;
// - on a phone, the page opens on the results after a search.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form) return;
  var need = document.getElementById("f-q");
  var needList = document.getElementById("need-suggestions");
  var needStatus = document.getElementById("need-understood");
  var place = document.getElementById("f-place");
  var placeList = document.getElementById("place-suggestions");
  var lat = document.getElementById("f-lat");
  var lon = document.getElementById("f-lon");
  var geoStatus = document.getElementById("geo-status");
  var locate = document.getElementById("locate");
  var printButton = document.getElementById("print");

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function fillList(list, labels) {
    list.textContent = "";
    labels.forEach(function (label) {
      var option = document.createElement("option");
      option.value = label;
      list.appendChild(option);
    });
  }

  function getJSON(url, done) {
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body) done(body); })
      .catch(function () { /* suggestions are optional */ });
  }

  var lastNeed = "";
  need.addEventListener("input", debounce(function () {
    var text = need.value.trim();
    if (text === lastNeed) return;
    lastNeed = text;
    if (text.length < 3) { fillList(needList, []); needStatus.textContent = ""; return; }
    getJSON("/categories/match?q=" + encodeURIComponent(text), function (body) {
      var labels = body.categories.map(function (c) { return c.label; });
      fillList(needList, labels);
      needStatus.textContent = labels.length ? "Besoin compris : " + labels.join(", ") : "";
    });
  }, 250));

  var lastPlace = "";
  place.addEventListener("input", debounce(function () {
    var text = place.value.trim();
    if (text === lastPlace) return;
    lastPlace = text;
    if (text.length < 2) { fillList(placeList, []); return; }
    getJSON("/places?limit=6&q=" + encodeURIComponent(text), function (body) {
      fillList(placeList, body.items.map(function (p) { return p.label; }));
    });
  }, 250));
  place.addEventListener("input", function () {
    // A typed place replaces a position found by « Me localiser ».
    if (place.value.trim() && lat.value) {
      lat.value = "";
      lon.value = "";
      geoStatus.textContent = "";
    }
  });

  if (locate && "geolocation" in navigator) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      geoStatus.textContent = "Recherche de votre position…";
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(3);
        lon.value = position.coords.longitude.toFixed(3);
        place.value = "";
        geoStatus.textContent = "Position trouvée : recherche autour de vous.";
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }, function () {
        geoStatus.textContent = "Position indisponible. Tapez une commune, un code postal ou une gare.";
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
    });
  }

  form.addEventListener("submit", function () {
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && !field.value && field.type !== "checkbox") field.disabled = true;
    });
  });
  // Back/forward cache: fields disabled at submit must be usable again.
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(form.elements, function (field) { field.disabled = false; });
  });

  if (printButton) {
    printButton.hidden = false;
    printButton.addEventListener("click", function () { window.print(); });
  }

  var errors = document.getElementById("erreurs");
  var results = document.getElementById("results-title");
  if (errors) errors.focus();
  // On a phone the form fills the screen: after a search, show the results, not the form again.
  else if (results && window.matchMedia("(max-width: 700px)").matches && !location.hash) {
    results.scrollIntoView();
  }
})();
