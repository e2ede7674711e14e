// The map of the results (search page) or of one place (detail page). Leaflet is loaded only when the
// map is shown: at once on wide screens, on « Afficher la carte » on phones (saves ~45 kB on a slow line).
// The markers come from the <script type="application/json" id="map-data"> block; names are put in the
// page as text, never as HTML. Without tiles (offline, blocked server) the markers are still drawn.
(function () {
  "use strict";
  var panel = document.getElementById("map-panel");
  var container = document.getElementById("map");
  var dataBlock = document.getElementById("map-data");
  if (!panel || !container || !dataBlock) return;

  var data;
  try { data = JSON.parse(dataBlock.textContent); } catch (e) { return; }
  var toggle = document.getElementById("map-toggle");
  var wide = window.matchMedia("(min-width: 60em)");
  var state = "idle"; // idle → loading → ready (or failed)
  var map = null;

  function loadLeaflet(done) {
    if (window.L) { done(); return; }
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = "/static/vendor/leaflet/leaflet.css";
    document.head.appendChild(css);
    var script = document.createElement("script");
    script.src = "/static/vendor/leaflet/leaflet.js";
    script.onload = done;
    script.onerror = function () {
      state = "failed";
      container.textContent = "La carte n'a pas pu être chargée. La liste reste complète.";
    };
    document.head.appendChild(script);
  }

  function popupContent(marker) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = "/lieux/" + encodeURIComponent(marker.id);
    link.textContent = marker.n + ". " + marker.name;
    box.appendChild(link);
    if (marker.opening) {
      var opening = document.createElement("p");
      opening.textContent = marker.opening;
      box.appendChild(opening);
    }
    if (marker.approx) {
      var approx = document.createElement("p");
      approx.textContent = "Position approximative (centre de la commune).";
      box.appendChild(approx);
    }
    return box;
  }

  function draw() {
    var L = window.L;
    state = "ready";
    map = L.map(container, { scrollWheelZoom: false });
    L.tileLayer(container.getAttribute("data-tiles-url"), {
      maxZoom: 19,
      attribution: container.getAttribute("data-attribution") || ""
    }).addTo(map);
    var points = [];
    data.markers.forEach(function (marker) {
      var label = document.createElement("span");
      label.textContent = String(marker.n);
      var icon = L.divIcon({
        className: "map-marker" + (marker.approx ? " approx" : ""),
        html: label,
        iconSize: [28, 28],
        iconAnchor: [2, 26],
        popupAnchor: [12, -24]
      });
      // Not in the keyboard order: the list holds the same places, with their links, in the same order.
      L.marker([marker.lat, marker.lon], { icon: icon, title: marker.n + ". " + marker.name, keyboard: false })
        .bindPopup(popupContent(marker))
        .addTo(map);
      points.push([marker.lat, marker.lon]);
    });
    var center = data.center;
    if (center && center.lat !== null) {
      if (center.radius_km) {
        L.circle([center.lat, center.lon], { radius: center.radius_km * 1000, weight: 1, fill: false, interactive: false }).addTo(map);
      }
      // The point searched around (a station, a commune centre, the person's position).
      L.circleMarker([center.lat, center.lon], { radius: 7, weight: 3, color: "#a4161a", fillOpacity: 0.9, interactive: false }).addTo(map);
      points.push([center.lat, center.lon]);
    }
    if (points.length === 1) map.setView(points[0], 16);
    else map.fitBounds(points, { padding: [24, 24], maxZoom: 16 });
  }

  function open() {
    panel.classList.add("open");
    if (toggle) {
      toggle.setAttribute("aria-expanded", "true");
      toggle.textContent = toggle.getAttribute("data-hide") || "Masquer la carte";
    }
    if (state === "idle") {
      state = "loading";
      loadLeaflet(draw);
    } else if (map) {
      map.invalidateSize();
    }
  }

  function close() {
    panel.classList.remove("open");
    if (toggle) {
      toggle.setAttribute("aria-expanded", "false");
      toggle.textContent = toggle.getAttribute("data-show") || "Afficher la carte";
    }
  }

  panel.hidden = false;
  if (toggle) {
    toggle.setAttribute("data-show", toggle.textContent);
    toggle.addEventListener("click", function () {
      if (panel.classList.contains("open")) close(); else open();
    });
  }
  if (wide.matches) open();
  wide.addEventListener("change", function (event) { if (event.matches) open(); });
  // Printing: the list is enough; the map is hidden by the print style sheet.
})();
