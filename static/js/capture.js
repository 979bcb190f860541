/* Capture that keeps working when the connection drops. Progressive enhancement of the plain capture form:
   each entry gets a UUID made here and is kept in IndexedDB until the server has confirmed it; it is sent to the
   JSON API (POST /api/v1/workshops/{id}/input, with the page's CSRF token), retried with backoff, and shown as
   waiting or saved. The server stores a client id once, so sending an entry again is always safe.
   A service worker (capture-sw.js) keeps this page and its files available offline once opened.
   Enter saves and empties the box, Shift+Enter makes a new line; focus stays in the box. */
(function () {
  "use strict";
  var form = document.querySelector("[data-capture-form]");
  if (!form || !window.indexedDB || !window.fetch || !window.JSON) { return; }

  var workshopId = Number(form.getAttribute("data-workshop-id"));
  var apiUrl = form.getAttribute("data-api");
  var textBox = form.querySelector("textarea[name=text]");
  var list = document.querySelector("[data-captured]");
  var empty = document.querySelector("[data-captured-empty]");
  var statusLine = form.querySelector("[data-capture-status]");
  var csrfField = form.querySelector("input[name=_csrf_token]");
  var clientIdField = form.querySelector("input[name=client_id]");
  var DB_NAME = "samrad-capture";
  var STORE = "entries";
  var KEEP_SAVED_MS = 12 * 3600 * 1000;
  var UNDO_MS = 10 * 60 * 1000; // feedback.capture.services.UNDO_WINDOW
  var MAX_DELAY_MS = 30000;
  var delay = 1000;
  var timer = null;
  var sending = false;
  var sendAgain = false; // an entry came in while a send was under way
  var offline = false;
  var needsLogin = false;

  // --- IndexedDB --------------------------------------------------------------------------------------
  var dbPromise = new Promise(function (resolve, reject) {
    var request = window.indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = function () {
      var store = request.result.createObjectStore(STORE, { keyPath: "client_id" });
      store.createIndex("workshop", "workshop_id");
    };
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { reject(request.error); };
  });

  function tx(mode, work) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var result = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        transaction.onerror = function () { reject(transaction.error); };
      });
    });
  }

  function allEntries() {
    return tx("readonly", function (store) { return store.index("workshop").getAll(workshopId); })
      .then(function (entries) { return entries.sort(function (a, b) { return a.created - b.created; }); });
  }

  function putEntry(entry) { return tx("readwrite", function (store) { store.put(entry); }); }
  function deleteEntry(clientId) { return tx("readwrite", function (store) { store.delete(clientId); }); }

  // --- what the facilitator sees ----------------------------------------------------------------------
  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" +
      hex.slice(20);
  }

  function rowFor(clientId) {
    return list.querySelector('[data-client-id="' + clientId + '"]');
  }

  function label(state) { return list.getAttribute("data-label-" + state) || state; }

  function showEntry(entry) {
    var row = rowFor(entry.client_id);
    if (!row) {
      row = document.createElement("li");
      row.className = "captured-item";
      row.setAttribute("data-client-id", entry.client_id);
      var text = document.createElement("p");
      text.className = "captured-text";
      text.textContent = entry.text;
      var meta = document.createElement("p");
      meta.className = "meta-line";
      var badge = document.createElement("span");
      badge.setAttribute("data-state", "");
      meta.appendChild(badge);
      var kind = form.querySelector('input[name=kind][value="' + entry.kind + '"] + label');
      if (kind) { meta.appendChild(document.createTextNode(" " + kind.textContent)); }
      row.appendChild(text);
      row.appendChild(meta);
      list.insertBefore(row, list.firstChild);
      if (empty) { empty.hidden = true; }
    }
    var state = entry.state || "waiting";
    row.classList.toggle("waiting", state === "waiting");
    row.classList.toggle("rejected", state === "rejected");
    var badgeEl = row.querySelector("[data-state]");
    badgeEl.className = "badge " + (state === "saved" ? "ok" : state === "rejected" ? "bad" : "warn");
    badgeEl.textContent = label(state) + (entry.error ? ": " + entry.error : "");
  }

  function updateStatus() {
    return allEntries().then(function (entries) {
      var waiting = entries.filter(function (e) { return e.state === "waiting"; }).length;
      var message;
      if (needsLogin && waiting) { message = statusLine.getAttribute("data-login"); }
      else if (offline && waiting) {
        message = statusLine.getAttribute("data-offline") + " " +
          statusLine.getAttribute("data-waiting").replace("{n}", String(waiting));
      } else if (waiting) { message = statusLine.getAttribute("data-waiting").replace("{n}", String(waiting)); }
      else { message = entries.length ? statusLine.getAttribute("data-all-saved") : ""; }
      if (statusLine.textContent !== message) { statusLine.textContent = message; }
      statusLine.setAttribute("data-waiting-count", String(waiting));
    });
  }

  // --- sending ----------------------------------------------------------------------------------------
  function payload(entry) {
    var item = { client_id: entry.client_id, text: entry.text, kind: entry.kind, theme_ids: entry.theme_ids,
                 speaker_category: entry.speaker_category };
    if (entry.table) { item.table = entry.table; }
    if (entry.suggestions && entry.suggestions.length) { item.suggestions = entry.suggestions; }
    return item;
  }

  function post(entries) {
    return window.fetch(apiUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrfField ? csrfField.value : "" },
      body: JSON.stringify({ items: entries.map(payload) })
    });
  }

  function hiddenName(text) {
    var span = document.createElement("span");
    span.className = "visually-hidden";
    span.textContent = ": " + (text.length > 40 ? text.slice(0, 37) + "..." : text);
    return span;
  }

  function addActions(row, itemId, text, withUndo) {
    // The same edit link and undo button as the rows the server lists (undo only while it can be taken back).
    if (!row || row.querySelector(".captured-actions")) { return; }
    var actions = document.createElement("div");
    actions.className = "captured-actions";
    var edit = document.createElement("a");
    edit.href = "/staff/input/" + itemId + "?back=" + encodeURIComponent(window.location.pathname);
    edit.textContent = list.getAttribute("data-label-edit");
    edit.appendChild(hiddenName(text));
    var undo = document.createElement("form");
    undo.method = "post";
    undo.action = window.location.pathname + "/" + itemId + "/undo";
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "_csrf_token";
    token.value = csrfField ? csrfField.value : "";
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "secondary small";
    button.textContent = list.getAttribute("data-label-undo");
    button.appendChild(hiddenName(text));
    undo.appendChild(token);
    undo.appendChild(button);
    actions.appendChild(edit);
    if (withUndo) { actions.appendChild(undo); }
    row.appendChild(actions);
  }

  function markSaved(items) {
    var work = Promise.resolve();
    items.forEach(function (item) {
      work = work.then(function () {
        var entry = { client_id: item.client_id, workshop_id: workshopId, text: item.text, kind: item.kind,
                      state: "saved", created: Date.now(), item_id: item.id };
        showEntry(entry);
        addActions(rowFor(item.client_id), item.id, item.text, true);
        return putEntry(entry);
      });
    });
    return work;
  }

  function reject(entry, message) {
    entry.state = "rejected";
    entry.error = message;
    showEntry(entry);
    return deleteEntry(entry.client_id);
  }

  function sendOneByOne(entries) {
    // A batch is stored whole or not at all: find the entries the server refuses, keep the others.
    var work = Promise.resolve();
    entries.forEach(function (entry) {
      work = work.then(function () {
        return post([entry]).then(function (response) {
          if (response.ok) { return response.json().then(function (body) { return markSaved(body.items); }); }
          if (response.status === 422) {
            return response.json().then(function (body) {
              var messages = (body.errors || []).map(function (e) { return e.message; });
              return reject(entry, messages.join(" ") || body.detail);
            });
          }
          throw new Error("status " + response.status);
        });
      });
    });
    return work;
  }

  function schedule(ms) {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(sync, ms);
  }

  function sync() {
    timer = null;
    if (sending) { sendAgain = true; return Promise.resolve(); }
    sending = true;
    return allEntries().then(function (entries) {
      var waiting = entries.filter(function (e) { return e.state === "waiting"; });
      if (!waiting.length) { return null; }
      return post(waiting).then(function (response) {
        if (response.ok) { return response.json().then(function (body) { return markSaved(body.items); }); }
        if (response.status === 422) { return sendOneByOne(waiting); }
        if (response.status === 401 || response.status === 403) { needsLogin = true; }
        throw new Error("status " + response.status);
      }).then(function () {
        offline = false;
        needsLogin = false;
        delay = 1000;
      });
    }).catch(function () {
      offline = !needsLogin;
      schedule(delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }).then(function () {
      sending = false;
      if (sendAgain && !timer) { sendAgain = false; schedule(0); }
      return updateStatus();
    });
  }

  // --- the form ---------------------------------------------------------------------------------------
  function checkedValues(name) {
    return Array.prototype.map.call(form.querySelectorAll("input[name=" + name + "]:checked"),
      function (input) { return input.value; });
  }

  form.addEventListener("submit", function (event) {
    var text = textBox.value.trim();
    if (!text) { return; } // the server answers with its message, as without JavaScript
    event.preventDefault();
    var table = form.querySelector("select[name=table]");
    var speaker = form.querySelector("select[name=speaker_category]");
    var suggested = Array.prototype.map.call(form.querySelectorAll("[data-suggestion]:checked"), function (input) {
      return { theme_id: Number(input.value), rank: Number(input.getAttribute("data-rank")),
               score: Number(input.getAttribute("data-score")) };
    });
    var themeIds = checkedValues("theme_ids").map(Number);
    suggested = suggested.filter(function (s) { return themeIds.indexOf(s.theme_id) !== -1; });
    var entry = {
      client_id: newId(),
      workshop_id: workshopId,
      text: text,
      kind: (checkedValues("kind")[0] || "idea"),
      theme_ids: themeIds,
      table: table && table.value ? Number(table.value) : null,
      speaker_category: speaker ? speaker.value : "",
      suggestions: suggested,
      state: "waiting",
      created: Date.now()
    };
    putEntry(entry).then(function () {
      showEntry(entry);
      textBox.value = "";
      form.querySelectorAll("input[name=theme_ids]:checked, [data-suggestion]:checked").forEach(function (box) {
        box.checked = false;
      });
      if (speaker) { speaker.value = ""; }
      clearSuggestions();
      textBox.focus();
      return updateStatus();
    }).then(sync);
  });

  textBox.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(); } else { form.dispatchEvent(new Event("submit", { cancelable: true })); }
    }
  });

  window.addEventListener("online", function () { delay = 1000; sync(); });
  window.addEventListener("offline", function () { offline = true; updateStatus(); });

  // --- suggested themes (feedback.themes) -------------------------------------------------------------
  var suggestionBox = document.querySelector("[data-suggestions]");
  var suggestUrls = suggestionBox ? suggestionBox.getAttribute("data-urls").split(" ").filter(Boolean) : [];
  var suggestTimer = null;

  // How sure a suggestion is, in words (feedback.themes.confidence): bands [lowest score, words], best first.
  var confidenceBands = suggestionBox ? JSON.parse(suggestionBox.getAttribute("data-confidence") || "[]") : [];

  function confidenceOf(score) {
    for (var i = 0; i < confidenceBands.length; i++) {
      if (score >= confidenceBands[i][0]) { return confidenceBands[i][1]; }
    }
    return confidenceBands.length ? confidenceBands[confidenceBands.length - 1][1] : "";
  }

  function clearSuggestions() {
    if (!suggestionBox) { return; }
    suggestionBox.textContent = "";
    suggestionBox.hidden = true;
  }

  function themeBox(themeId) {
    return form.querySelector('input[name=theme_ids][value="' + themeId + '"]');
  }

  function showSuggestions(suggestions) {
    clearSuggestions();
    // The workshop's themes among the suggestions of all its policies, best first; the rank is the place
    // among those (1 = best), counted before the ones already chosen are left out.
    var offered = suggestions.filter(function (s) { return themeBox(s.theme_id); })
      .sort(function (a, b) { return b.score - a.score; })
      .slice(0, 3)
      .map(function (s, index) { return { theme_id: s.theme_id, name: s.name, score: s.score, rank: index + 1 }; })
      .filter(function (s) { return !themeBox(s.theme_id).checked; });
    if (!offered.length) { return; }
    var legend = document.createElement("p");
    legend.className = "hint";
    legend.textContent = suggestionBox.getAttribute("data-label");
    suggestionBox.appendChild(legend);
    offered.forEach(function (s) {
      var chip = document.createElement("span");
      chip.className = "chip suggested";
      var input = document.createElement("input");
      input.type = "checkbox";
      input.id = "suggested-" + s.theme_id;
      input.value = String(s.theme_id);
      input.setAttribute("data-suggestion", "");
      input.setAttribute("data-rank", String(s.rank));
      input.setAttribute("data-score", String(s.score || 0));
      input.addEventListener("change", function () {
        var box = form.querySelector('input[name=theme_ids][value="' + s.theme_id + '"]');
        if (box) { box.checked = input.checked; }
      });
      var text = document.createElement("label");
      text.htmlFor = input.id;
      text.textContent = (s.name || "") + " (" + confidenceOf(s.score || 0) + ")";
      chip.appendChild(input);
      chip.appendChild(text);
      suggestionBox.appendChild(chip);
    });
    suggestionBox.hidden = false;
  }

  function suggestionsFrom(url, text) {
    return window.fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrfField ? csrfField.value : "" },
      body: JSON.stringify({ text: text, language: suggestionBox.getAttribute("data-language") })
    }).then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
      .then(function (body) { return body.suggestions || []; })
      .catch(function () { return []; });
  }

  if (suggestUrls.length) {
    textBox.addEventListener("input", function () {
      if (suggestTimer) { window.clearTimeout(suggestTimer); }
      var text = textBox.value.trim();
      if (text.length < 12) { clearSuggestions(); return; }
      suggestTimer = window.setTimeout(function () {
        Promise.all(suggestUrls.map(function (url) { return suggestionsFrom(url, text); })).then(function (lists) {
          if (textBox.value.trim() === text) { showSuggestions([].concat.apply([], lists)); }
        });
      }, 400);
    });
  }

  // --- start ------------------------------------------------------------------------------------------
  if (clientIdField) { clientIdField.value = newId(); }
  allEntries().then(function (entries) {
    var now = Date.now();
    var work = Promise.resolve();
    entries.forEach(function (entry) {
      var onPage = rowFor(entry.client_id);
      if (entry.state === "saved" && (onPage || now - entry.created > KEEP_SAVED_MS)) {
        work = work.then(function () { return deleteEntry(entry.client_id); });
      } else if (!onPage) {
        showEntry(entry);
        // A saved entry the page does not list yet (the page came from the offline copy): its actions too.
        if (entry.state === "saved" && entry.item_id) {
          addActions(rowFor(entry.client_id), entry.item_id, entry.text, now - entry.created < UNDO_MS);
        }
      }
    });
    return work;
  }).then(updateStatus).then(sync);

  if ("serviceWorker" in navigator && form.getAttribute("data-service-worker")) {
    navigator.serviceWorker.register(form.getAttribute("data-service-worker"), { scope: "/staff/workshops/" })
      .then(function () {
        // The first visit was not served through the worker: keep a copy of this page for offline use.
        if (!navigator.serviceWorker.controller && window.caches) {
          return window.caches.open("samrad-capture-pages").then(function (cache) {
            return cache.add(window.location.pathname);
          });
        }
        return null;
      })
      .catch(function () { /* capture still works online without the worker */ });
  }
}());
