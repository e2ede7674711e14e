// The chat with the assistant: messages go through our own proxy (POST /chat/messages), replies are drawn
// as text nodes (never innerHTML with data), with quick replies, service cards and a mini-map (Leaflet,
// loaded only when there are places to show). The conversation lives only in this tab's sessionStorage,
// which « Quitter rapidement » clears.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root || !window.fetch || !window.JSON) return;
  var KEY = "chat.v1";
  var MAX_ITEMS = 60;
  var logEl = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var sendButton = document.getElementById("chat-send");
  var statusEl = document.getElementById("chat-status");
  var locateButton = document.getElementById("chat-locate");
  var greeting = logEl.firstElementChild;
  var busy = false;
  var leaving = false;
  var pending = null;
  var liveMap = null;
  var leaflet = null;
  // Numbers a person in danger can call (or text) at once: shown as buttons under the message naming them.
  // The numbers offered under an error (the assistant could not answer): declared here, not read from text.
  var ERROR_CALLS = [
    { number: "112", name: "Urgences" }, { number: "15", name: "SAMU" }, { number: "17", name: "Police secours" },
    { number: "115", name: "Samu social" }, { number: "3919", name: "Violences Femmes Info" },
    { number: "3114", name: "Prévention du suicide" }];

  // The conversation is the server's (an HttpOnly cookie): this tab keeps only what was shown.
  function load() {
    try {
      var stored = JSON.parse(window.sessionStorage.getItem(KEY));
      if (stored && Array.isArray(stored.items)) return { items: stored.items };
    } catch (e) { /* storage disabled or unreadable: a fresh conversation */ }
    return { items: [] };
  }
  var state = load();
  function save() {
    if (leaving || !document.body.firstChild) return; // « Quitter rapidement » has cleared everything
    state.items = state.items.slice(-MAX_ITEMS);
    try { window.sessionStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* full or disabled */ }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function lines(parent, text) {
    text.split("\n").forEach(function (line, i) {
      if (i) parent.appendChild(document.createElement("br"));
      // web addresses in the text (« Tous les résultats sur la carte : https://… ») become links
      line.split(/(https?:\/\/[^\s<>"«»]+)/).forEach(function (part, j) {
        if (j % 2) {
          var a = el("a", null, part);
          a.href = part;
          parent.appendChild(a);
        } else if (part) {
          parent.appendChild(document.createTextNode(part));
        }
      });
    });
  }
  function distance(m) {
    return m < 1000 ? Math.round(m / 10) * 10 + " m" : (m / 1000).toFixed(1).replace(".", ",") + " km";
  }
  function frenchDate(iso) {
    var p = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return p ? p[3] + "/" + p[2] + "/" + p[1] : null;
  }

  // Call buttons come only from structured data: the numbers the assistant sends as « calls » (never numbers
  // read in its text: « 15, rue de Laghouat » is an address, not the SAMU).
  function callButtons(calls) {
    var valid = (calls || []).filter(function (c) { return c && /^[0-9]{2,10}$/.test(c.number); }).slice(0, 4);
    if (!valid.length) return null;
    var box = el("p", "calls");
    valid.forEach(function (c) {
      var sms = c.kind === "sms";
      var shown = c.number.length === 10 ? c.number.replace(/(\d)(\d{3})(\d{2})(\d{2})(\d{2})/, "$1 $2 $3 $4 $5") : c.number;
      var a = el("a", "call", (sms ? "SMS au " : "Appeler le ") + shown);
      a.href = (sms ? "sms:" : "tel:") + c.number;
      if (c.name) a.title = c.name;
      box.appendChild(a);
    });
    return box;
  }

  function renderUser(text) {
    var li = el("li", "msg msg-user");
    var p = el("p");
    p.appendChild(el("span", "visually-hidden", "Vous : "));
    p.appendChild(document.createTextNode(text));
    li.appendChild(p);
    logEl.appendChild(li);
    return li;
  }

  function card(s, rank) {
    var li = el("li", "card");
    var h = el("h3", "card-name");
    var a = el("a", null, rank + ". " + s.name);
    a.href = "/lieux/" + encodeURIComponent(s.id);
    h.appendChild(a);
    li.appendChild(h);
    // A place known only by its commune is drawn at the commune's centre: no distance in metres.
    if (s.approximate) li.appendChild(el("p", "card-distance", "Position approximative (centre de la commune)"));
    else if (typeof s.distance_m === "number") li.appendChild(el("p", "card-distance", "À " + distance(s.distance_m)));
    var status = { open: "open", closed: "closed" }[s.opening.status] || "unknown";
    li.appendChild(el("p", "card-opening is-" + status, s.opening.label));
    if (s.address) li.appendChild(el("p", "card-address", s.address));
    if (s.conditions && s.conditions.length) li.appendChild(el("p", "card-conditions", s.conditions.join(" · ")));
    if (s.unconfirmed && s.unconfirmed.length) li.appendChild(el("p", "card-unconfirmed", "À vérifier : " + s.unconfirmed.join(", ")));
    (s.phones || []).slice(0, 2).forEach(function (phone) {
      var p = el("p", "card-phone");
      var call = el("a", null, "Appeler le " + phone);
      call.href = "tel:" + phone.replace(/[^\d+]/g, "");
      p.appendChild(call);
      li.appendChild(p);
    });
    // « Envoyer par SMS »: name, address, phone, opening and the place page, to keep or forward;
    // built in the browser, nothing is kept on the server.
    var text = [s.name, s.address, (s.phones || [])[0] ? "Tél. " + s.phones[0] : null, s.opening.label,
      location.origin + "/lieux/" + encodeURIComponent(s.id)].filter(Boolean).join("\n");
    var sms = el("a", "card-sms", "Envoyer par SMS");
    sms.href = "sms:?&body=" + encodeURIComponent(text);
    li.appendChild(el("p", null)).appendChild(sms);
    var when = frenchDate(s.data_date);
    var dated = when ? "Données du " + when : "Date des données inconnue";
    if (s.stale) dated += " : anciennes, appelez avant de vous déplacer.";
    li.appendChild(el("p", "card-date" + (s.stale ? " is-stale" : ""), dated));
    return li;
  }

  function renderBot(messages, restoring) {
    var li = el("li", "msg msg-bot");
    var results = null;
    messages.forEach(function (m) { if (m.custom && m.custom.structures && m.custom.structures.length) results = m.custom; });
    var firstRank = 0;
    var buttons = [];
    messages.forEach(function (m) {
      if (m.text) {
        m.text.split(/\n{2,}/).forEach(function (para) {
          var numbered = /^(\d+)\. /.exec(para);
          if (numbered && results) { // the same places are drawn as cards below
            if (!firstRank) firstRank = parseInt(numbered[1], 10) || 1;
            return;
          }
          var p = el("p");
          lines(p, para);
          li.appendChild(p);
        });
      }
      var calls = m.custom && callButtons(m.custom.calls);
      if (calls) li.appendChild(calls);
      (m.buttons || []).forEach(function (b) { buttons.push(b); });
    });
    firstRank = firstRank || 1;
    if (results) {
      var list = el("ol", "cards");
      list.setAttribute("aria-label", "Lieux proposés");
      results.structures.forEach(function (s, i) { list.appendChild(card(s, firstRank + i)); });
      li.appendChild(list);
      var map = el("div", "mini-map");
      map.setAttribute("role", "region");
      map.setAttribute("aria-label", "Carte des lieux proposés, numérotés comme la liste");
      map.hidden = true;
      li.appendChild(map);
      var where = results.search && results.search.place_label;
      var legend = el("p", "map-legend", "Point rouge : " + (where || "le lieu de la recherche") + ". Numéros : les lieux ci-dessus.");
      legend.hidden = true;
      li.appendChild(legend);
    }
    if (buttons.length && !restoring) li.appendChild(quickReplies(buttons));
    logEl.appendChild(li);
    return { item: li, results: results, rank: firstRank };
  }

  function quickReplies(buttons) {
    var box = el("div", "quick-replies");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Réponses rapides");
    buttons.forEach(function (b) {
      var button = el("button", "quick-reply", b.title);
      button.type = "button";
      button.addEventListener("click", function () { send(b.payload, b.title); input.focus(); });
      box.appendChild(button);
    });
    return box;
  }

  function loadLeaflet() {
    if (window.L) return Promise.resolve(window.L);
    if (!leaflet) {
      leaflet = new Promise(function (resolve, reject) {
        var css = el("link");
        css.rel = "stylesheet";
        css.href = "/static/vendor/leaflet/leaflet.css";
        document.head.appendChild(css);
        var script = el("script");
        script.src = "/static/vendor/leaflet/leaflet.js";
        script.onload = function () { resolve(window.L); };
        script.onerror = function () { leaflet = null; reject(new Error("leaflet")); };
        document.head.appendChild(script);
      });
    }
    return leaflet;
  }

  function drawMap(drawn) {
    var container = drawn.item.querySelector(".mini-map");
    var places = drawn.results.structures.filter(function (s) { return typeof s.lat === "number" && typeof s.lon === "number"; });
    if (!container || !places.length) return;
    loadLeaflet().then(function (L) {
      if (!container.isConnected) return;
      if (liveMap) { // one live map at a time: the older one goes (its cards stay)
        liveMap.map.remove();
        liveMap.container.hidden = true;
        if (liveMap.container.nextSibling) liveMap.container.nextSibling.hidden = true;
      }
      container.hidden = false;
      if (container.nextSibling) container.nextSibling.hidden = false;
      var map = L.map(container, { scrollWheelZoom: false, tap: false });
      liveMap = { map: map, container: container };
      L.tileLayer(root.dataset.tilesUrl, { attribution: root.dataset.tilesAttribution, maxZoom: 19 }).addTo(map);
      var bounds = [];
      var search = drawn.results.search || {};
      if (typeof search.lat === "number" && typeof search.lon === "number") {
        L.circleMarker([search.lat, search.lon], { radius: 8, className: "map-here", interactive: false }).addTo(map);
        bounds.push([search.lat, search.lon]);
      }
      places.forEach(function (s, i) {
        var label = el("span", null, String(drawn.rank + i));
        var icon = L.divIcon({ className: "map-pin", html: label, iconSize: [28, 28], iconAnchor: [14, 14] });
        var marker = L.marker([s.lat, s.lon], { icon: icon, title: s.name, keyboard: false }).addTo(map);
        marker.on("click", function () {
          var link = drawn.item.querySelectorAll(".card-name a")[i];
          if (link) link.focus();
        });
        bounds.push([s.lat, s.lon]);
      });
      map.fitBounds(bounds, { padding: [28, 28], maxZoom: 16 });
    }).catch(function () { container.hidden = true; }); // no map: the cards say it all (legend stays hidden)
  }

  function setBusy(on, text) {
    busy = on;
    sendButton.disabled = on;
    statusEl.textContent = text || "";
  }
  function clearQuickReplies() {
    Array.prototype.forEach.call(logEl.querySelectorAll(".quick-replies"), function (n) { n.remove(); });
  }
  function renderError(text) {
    var li = el("li", "msg msg-bot msg-error");
    var p = el("p");
    lines(p, text);
    li.appendChild(p);
    li.appendChild(callButtons(ERROR_CALLS));
    logEl.appendChild(li);
    li.scrollIntoView({ block: "start" });
  }

  function send(message, shown) {
    if (busy || leaving) return;
    clearQuickReplies();
    renderUser(shown);
    state.items.push({ me: shown });
    save();
    setBusy(true, "L'assistant écrit…");
    var controller = window.AbortController ? new AbortController() : null;
    pending = controller;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, 30000);
    fetch("/chat/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: message }),
      signal: controller ? controller.signal : undefined,
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (leaving) return;
        if (response.ok && Array.isArray(body)) {
          var drawn = renderBot(body, false);
          state.items.push({ bot: body });
          save();
          if (drawn.results) drawMap(drawn);
          drawn.item.scrollIntoView({ block: "start" });
        } else {
          renderError(body && typeof body.detail === "string" ? body.detail
            : "Désolé, une erreur s'est produite. Réessayez dans un instant.");
        }
      });
    }).catch(function () {
      if (leaving) return;
      renderError("Pas de réponse : vérifiez votre connexion et réessayez. En urgence, appelez le 112, le 15 (SAMU), " +
        "le 17 (police), le 115 (hébergement), le 3919 (violences) ou le 3114 (prévention du suicide).");
    }).then(function () {
      clearTimeout(timer);
      pending = null;
      setBusy(false);
    });
  }

  function restore() {
    var last = null;
    state.items.forEach(function (item) {
      if (typeof item.me === "string") renderUser(item.me);
      else if (Array.isArray(item.bot)) last = renderBot(item.bot, true);
    });
    var final = state.items[state.items.length - 1];
    if (last && final && final.bot) {
      var buttons = [];
      final.bot.forEach(function (m) { (m.buttons || []).forEach(function (b) { buttons.push(b); }); });
      if (buttons.length) last.item.appendChild(quickReplies(buttons));
      if (last.results) drawMap(last);
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    // Typed text is never a command: a leading "/" would make the assistant read it as a button's payload.
    var text = input.value.replace(/^[\s/]+/, "").trim();
    if (!text || busy) return;
    input.value = "";
    send(text.slice(0, 2000), text.slice(0, 2000));
  });

  if (navigator.geolocation) {
    locateButton.hidden = false;
    document.getElementById("chat-locate-hint").hidden = false;
    locateButton.addEventListener("click", function () {
      if (busy) return;
      statusEl.textContent = "Recherche de votre position…";
      navigator.geolocation.getCurrentPosition(function (position) {
        var round = function (x) { return Math.round(x * 10000) / 10000; };
        var where = { lat: round(position.coords.latitude), lon: round(position.coords.longitude) };
        statusEl.textContent = "";
        send("/share_location" + JSON.stringify(where), "Ma position");
      }, function (error) {
        statusEl.textContent = error.code === 1
          ? "Localisation refusée. Écrivez plutôt une ville, un code postal ou une gare."
          : "Position introuvable. Écrivez plutôt une ville, un code postal ou une gare.";
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
    });
  }

  document.getElementById("chat-clear").addEventListener("click", function () {
    if (liveMap) { liveMap.map.remove(); liveMap = null; }
    try { window.sessionStorage.removeItem(KEY); } catch (e) { /* disabled */ }
    state = { items: [] };
    // The assistant forgets the conversation; the browser gets a new key.
    fetch("/chat/reset", { method: "POST", credentials: "same-origin" }).catch(function () { /* offline */ });
    while (logEl.lastChild !== greeting) logEl.removeChild(logEl.lastChild);
    statusEl.textContent = "Conversation effacée.";
    input.focus();
  });

  // « Quitter rapidement » (quick-exit.js) clears the storage: nothing may write it again afterwards.
  var exit = document.getElementById("quick-exit");
  function stop() {
    leaving = true;
    if (pending) pending.abort();
  }
  if (exit) exit.addEventListener("click", stop, true);
  window.addEventListener("pagehide", function () { if (!document.body.firstChild) stop(); });

  restore();
  root.hidden = false;
})();
