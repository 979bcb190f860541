/* The live wall (feedback.wall): follows the wall's event stream so new input appears at once, changed input
   updates in place and hidden input disappears. Progressive enhancement: without JavaScript the page reloads
   itself every few seconds. Every (re)connection starts with a snapshot of the whole wall, so nothing missed
   while disconnected stays missing. Text is only ever set as text, never as markup. */
(function () {
  "use strict";

  var body = document.body;
  var list = document.getElementById("wall-items");
  if (!body || !list || !window.EventSource) { return; }

  var LIMIT = 200;
  var MOTION_KEY = "samrad.wall.reduceMotion";
  var empty = document.getElementById("wall-empty");
  var legend = document.getElementById("wall-legend");
  var count = document.getElementById("wall-count");
  var live = document.getElementById("wall-live");
  var motion = document.getElementById("wall-motion");
  var source = null;

  // The page no longer needs to reload itself: the stream keeps it current.
  var refresh = document.querySelector('meta[http-equiv="refresh"]');
  if (refresh) { refresh.parentNode.removeChild(refresh); }

  function label(name) { return body.getAttribute("data-label-" + name) || ""; }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function colour(node, theme) {
    node.classList.add("theme-" + theme.id);
    // The stylesheet has every theme known when the page loaded; a theme made since gets its colours here.
    node.style.setProperty("--theme-bg", theme.colour);
    node.style.setProperty("--theme-fg", theme.text_colour);
  }

  function chip(theme, tag) {
    var node = el(tag || "span", "wall-chip", theme.name);
    colour(node, theme);
    node.setAttribute("data-theme", String(theme.id));
    return node;
  }

  function card(item) {
    var node = el("li", "wall-card");
    node.setAttribute("data-id", String(item.id));
    node.style.setProperty("--theme-bg", item.colour);
    node.style.setProperty("--theme-fg", item.text_colour);
    if (item.themes.length) { node.classList.add("theme-" + item.themes[0].id); }
    var text = el("p", "wall-text", item.text);
    text.setAttribute("lang", item.language);
    node.appendChild(text);
    var meta = el("p", "wall-meta");
    if (item.kind_label) { meta.appendChild(el("span", "wall-kind", item.kind_label)); }
    if (item.table) { meta.appendChild(el("span", "wall-table", label("table").replace("{label}", item.table))); }
    item.themes.forEach(function (theme) { meta.appendChild(chip(theme)); });
    node.appendChild(meta);
    return node;
  }

  function find(id) { return list.querySelector('[data-id="' + String(Number(id)) + '"]'); }

  function upsert(item, animate) {
    var fresh = card(item);
    var old = find(item.id);
    if (old) {
      list.replaceChild(fresh, old);
      return;
    }
    if (animate) { fresh.classList.add("is-new"); }
    list.insertBefore(fresh, list.firstChild);
    while (list.children.length > LIMIT) { list.removeChild(list.lastChild); }
  }

  function remove(id) {
    var old = find(id);
    if (old) { old.parentNode.removeChild(old); }
  }

  function replaceAll(items) {
    var known = {};
    Array.prototype.forEach.call(list.children, function (node) { known[node.getAttribute("data-id")] = true; });
    var fragment = document.createDocumentFragment();
    items.slice(0, LIMIT).forEach(function (item) {
      var node = card(item);
      if (!known[String(item.id)]) { node.classList.add("is-new"); }
      fragment.appendChild(node);
    });
    list.textContent = "";
    list.appendChild(fragment);
  }

  function rebuildLegend() {
    if (!legend) { return; }
    var seen = {};
    var fragment = document.createDocumentFragment();
    list.querySelectorAll(".wall-card .wall-chip").forEach(function (node) {
      var id = node.getAttribute("data-theme") || node.className;
      if (seen[id]) { return; }
      seen[id] = true;
      var entry = el("li", node.className, node.textContent);
      ["--theme-bg", "--theme-fg"].forEach(function (name) {
        var value = node.style.getPropertyValue(name);
        if (value) { entry.style.setProperty(name, value); }
      });
      fragment.appendChild(entry);
    });
    legend.textContent = "";
    legend.appendChild(fragment);
    legend.hidden = !legend.children.length;
  }

  function refreshCounts() {
    var n = list.children.length;
    if (count) { count.textContent = label(n === 1 ? "one" : "many").replace("{n}", String(n)); }
    if (empty) { empty.hidden = n > 0; }
    rebuildLegend();
    scheduleFit();
  }

  // Auto-fit: the largest type (up to 1.6 times the base) at which the wall fits the screen, down to 0.7;
  // below that the page scrolls rather than becoming unreadable from the back of the room.
  var fitPending = false;
  function fit() {
    fitPending = false;
    var low = 0.7, high = 1.6;
    var root = document.documentElement;
    body.style.setProperty("--wall-scale", String(high));
    if (root.scrollHeight <= window.innerHeight) { return; }
    for (var step = 0; step < 7; step++) {
      var middle = (low + high) / 2;
      body.style.setProperty("--wall-scale", String(middle));
      if (root.scrollHeight <= window.innerHeight) { low = middle; } else { high = middle; }
    }
    body.style.setProperty("--wall-scale", String(low));
  }
  function scheduleFit() {
    if (fitPending) { return; }
    fitPending = true;
    window.requestAnimationFrame(fit);
  }

  function setMotion(reduced) {
    body.classList.toggle("reduce-motion", reduced);
    if (motion) { motion.setAttribute("aria-pressed", reduced ? "true" : "false"); }
  }
  if (motion) {
    var stored = null;
    try { stored = window.localStorage.getItem(MOTION_KEY); } catch (error) { stored = null; }
    var systemReduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    setMotion(stored === null ? systemReduced : stored === "1");
    motion.hidden = false;
    motion.addEventListener("click", function () {
      var reduced = motion.getAttribute("aria-pressed") !== "true";
      setMotion(reduced);
      try { window.localStorage.setItem(MOTION_KEY, reduced ? "1" : "0"); } catch (error) { /* private mode */ }
    });
  }

  function parse(event) {
    try { return JSON.parse(event.data); } catch (error) { return null; }
  }

  var retryTimer = null;
  var silenceTimer = null;

  function showReconnecting() {
    if (live) { live.textContent = "· " + label("reconnecting"); }
    body.setAttribute("data-live", "false");
  }

  function disconnect() {
    if (retryTimer) { window.clearTimeout(retryTimer); retryTimer = null; }
    if (silenceTimer) { window.clearTimeout(silenceTimer); silenceTimer = null; }
    if (source) { source.close(); source = null; }
  }

  // The server sends at least a ping every few seconds. A connection that dies without closing (a router
  // restarted, a laptop woken from sleep) sends nothing and looks open for ever: after this long without a
  // word the wall drops it and connects again, from a fresh snapshot.
  function heard() {
    if (silenceTimer) { window.clearTimeout(silenceTimer); }
    var seconds = parseFloat(body.getAttribute("data-silence-seconds")) || 45;
    silenceTimer = window.setTimeout(function () { showReconnecting(); connect(); }, seconds * 1000);
  }

  function connect() {
    disconnect();
    source = new EventSource(body.getAttribute("data-stream"));
    heard();
    ["open", "snapshot", "input", "removed", "ping"].forEach(function (name) {
      source.addEventListener(name, heard);
    });
    source.addEventListener("open", function () {
      if (live) { live.textContent = "· " + label("live"); }
      body.setAttribute("data-live", "true");
    });
    source.addEventListener("snapshot", function (event) {
      var data = parse(event);
      if (data) { replaceAll(data.items); refreshCounts(); }
    });
    source.addEventListener("input", function (event) {
      var item = parse(event);
      if (item) { upsert(item, true); refreshCounts(); }
    });
    source.addEventListener("removed", function (event) {
      var data = parse(event);
      if (data) { remove(data.id); refreshCounts(); }
    });
    source.addEventListener("error", function (event) {
      showReconnecting();
      // The browser retries by itself unless the server refused the stream; then start again a bit later.
      if (event.target.readyState === EventSource.CLOSED && navigator.onLine !== false) {
        retryTimer = window.setTimeout(connect, 5000);
      }
    });
  }

  // When the device knows its connection is gone, the stream (which may look open for a long while) is
  // dropped at once, and opened again, from a fresh snapshot, as soon as the connection is back.
  window.addEventListener("offline", function () { disconnect(); showReconnecting(); });
  window.addEventListener("online", connect);

  window.addEventListener("resize", scheduleFit);
  scheduleFit();
  connect();
})();
