/* Check-in at the door, on any phone, on a weak connection. Progressive enhancement: without this script the
   form posts the code and the page shows the answer, as before.

   With it:
   - the camera reads QR tickets with the browser's BarcodeDetector where there is one, else with the vendored
     jsQR decoder (/static/vendor/jsqr/jsQR.js), so Safari and Firefox scan too;
   - the event's tickets are loaded once and kept (localStorage), so a scan is answered at once, offline too,
     and a second scan of the same ticket says "already checked in" before the first has reached the server;
   - every scan goes into a queue (localStorage) with an id of its own and is sent when the connection allows;
     the server answers a repeated scan id as it did the first time, so a scan sent twice counts once;
   - a scan the server refuses because the session has ended (401) stays in the queue until someone signs in
     again on this phone: only an answer about the ticket takes a scan out of the queue;
   - a scan the server refuses with 403 is not lost silently: a CSRF token refused (its cookie is gone) makes the
     page fetch itself again for a fresh token and send the scan once more; any other 403 (this account may no
     longer check people in at this event), or a second CSRF refusal, lists the scan as not recorded, naming its
     ticket code, in a live region (kept on the phone until dismissed), and the ticket is no longer counted as
     checked in on this phone. */
(function () {
  "use strict";
  var form = document.querySelector("[data-checkin-form]");
  var config = document.getElementById("checkin-config");
  if (!form || !config || !window.localStorage || !window.fetch || !window.JSON) { return; }

  var settings = JSON.parse(config.textContent);
  var input = form.querySelector("#code");
  var csrf = form.querySelector("input[name=_csrf_token]");
  var resultBox = document.querySelector("[data-checkin-live]");
  var queueStatus = document.querySelector("[data-checkin-queue]");
  var refusedBox = document.querySelector("[data-checkin-refused]");
  var listKey = "samrad-checkin-tickets-" + settings.event;
  var queueKey = "samrad-checkin-queue-" + settings.event;
  var refusedKey = "samrad-checkin-refused-" + settings.event;
  var sending = false;
  var shownScan = null;  // the id of the scan the result box is showing
  var signedOut = false;  // the last send was refused for want of a session: the queue waits for a new login

  function load(key, fallback) {
    try { return JSON.parse(window.localStorage.getItem(key)) || fallback; } catch (error) { return fallback; }
  }
  function save(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (error) { /* storage full: keep going */ }
  }
  function normalise(text) {
    return String(text || "").toUpperCase().replace(/[^A-Z0-9]/g, "");
  }
  function newScanId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var tickets = load(listKey, null);  // {code: {status, checked_in, name, category}} once loaded
  var queue = load(queueKey, []);
  var refused = load(refusedKey, []);  // [{code, reason: "team" | "expired"}] until dismissed
  if (!Array.isArray(refused)) { refused = []; }

  function refreshList() {
    return window.fetch(settings.ticketsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
      .then(function (data) {
        var byCode = {};
        data.tickets.forEach(function (ticket) { byCode[ticket.code] = ticket; });
        queue.forEach(function (scan) { if (byCode[scan.code] && byCode[scan.code].status === "confirmed") { byCode[scan.code].checked_in = true; } });
        tickets = byCode;
        save(listKey, tickets);
        showQueue();
      })
      .catch(function () { showQueue(); });
  }

  function showQueue() {
    if (!queueStatus) { return; }
    var parts = [];
    parts.push(tickets ? settings.text.listReady : settings.text.listMissing);
    if (queue.length) { parts.push(settings.text.waiting.replace("%(num)s", String(queue.length))); }
    if (queue.length && signedOut) { parts.push(settings.text.signedOut); }
    queueStatus.textContent = parts.join(" ");
  }

  function show(result) {
    if (!resultBox) { return; }
    // The answer the server rendered for an earlier, non-scripted check-in makes way for this one.
    Array.prototype.forEach.call(document.querySelectorAll(".checkin-result:not([data-checkin-live])"),
      function (old) { old.parentNode.removeChild(old); });
    resultBox.hidden = false;
    resultBox.className = "checkin-result " + (result.ok ? "success" : "warning");
    resultBox.textContent = "";
    var heading = document.createElement("h3");
    heading.textContent = result.title;
    resultBox.appendChild(heading);
    [result.name, result.category, result.ok ? "" : result.message, result.note].forEach(function (line, index) {
      if (!line) { return; }
      var paragraph = document.createElement("p");
      if (index === 0) { paragraph.className = "checkin-name"; }
      paragraph.textContent = line;
      resultBox.appendChild(paragraph);
    });
    if (result.code) {
      var code = document.createElement("p");
      code.className = "muted";
      code.textContent = settings.text.ticket.replace("%(code)s", result.code);
      resultBox.appendChild(code);
    }
  }

  function localAnswer(code) {
    var ticket = tickets && tickets[code];
    if (!tickets) { return null; }
    if (!ticket) { return { ok: false, title: settings.text.notIn, message: settings.text.unknown, code: code, known: false }; }
    var answer = { name: ticket.name, category: ticket.category, code: code, known: true };
    if (ticket.status === "cancelled") { return Object.assign(answer, { ok: false, title: settings.text.notIn, message: settings.text.cancelled }); }
    if (ticket.status === "waitlisted") { return Object.assign(answer, { ok: false, title: settings.text.notIn, message: settings.text.waitlisted }); }
    if (ticket.checked_in) { return Object.assign(answer, { ok: true, already: true, title: settings.text.already }); }
    return Object.assign(answer, { ok: true, already: false, title: settings.text.welcome });
  }

  // --- scans the server refused (403) -----------------------------------------------------------------------
  var refusedPanel = null;
  var refusedList = null;

  function refusalText(item) {
    var text = item.reason === "expired" ? settings.text.refusedExpired : settings.text.refusedTeam;
    return text.replace("%(code)s", item.code);
  }

  function dismissRefused() {
    refused = [];
    save(refusedKey, refused);
    if (refusedPanel && refusedPanel.parentNode) { refusedPanel.parentNode.removeChild(refusedPanel); }
    refusedPanel = refusedList = null;
    input.focus();
  }

  function listRefusal(item) {
    if (!refusedBox) { return; }
    var fresh = !refusedPanel;
    if (fresh) {
      refusedPanel = document.createElement("div");
      refusedPanel.className = "warning";
      var heading = document.createElement("h3");
      heading.textContent = settings.text.refusedTitle;
      var hint = document.createElement("p");
      hint.textContent = settings.text.refusedHint;
      refusedList = document.createElement("ul");
      var dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "secondary small";
      dismiss.setAttribute("data-checkin-refused-dismiss", "");
      dismiss.textContent = settings.text.dismiss;
      dismiss.addEventListener("click", dismissRefused);
      [heading, hint, refusedList, dismiss].forEach(function (part) { refusedPanel.appendChild(part); });
    }
    // One line per ticket: a ticket refused again moves to the end (and is announced again).
    Array.prototype.forEach.call(refusedList.querySelectorAll("li"), function (line) {
      if (line.getAttribute("data-code") === item.code) { refusedList.removeChild(line); }
    });
    var line = document.createElement("li");
    line.setAttribute("data-code", item.code);
    line.textContent = refusalText(item);
    refusedList.appendChild(line);
    if (fresh) { refusedBox.appendChild(refusedPanel); }  // into the live region whole: announced as it comes
  }

  function refuse(scan, reason) {
    var item = { code: scan.code, reason: reason };
    refused = refused.filter(function (other) { return other.code !== scan.code; });
    refused.push(item);
    save(refusedKey, refused);
    // The phone said "Welcome" from its list: the ticket is not checked in after all (unless scanned again since).
    var again = queue.some(function (other) { return other.code === scan.code; });
    if (scan.known && !again && tickets && tickets[scan.code]) {
      tickets[scan.code].checked_in = false;
      save(listKey, tickets);
    }
    if (resultBox && shownScan === scan.id) { resultBox.hidden = true; }  // no "Welcome" left standing for it
    listRefusal(item);
  }

  function post(scan) {
    return window.fetch(settings.scanUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "x-csrftoken": csrf ? csrf.value : "" },
      body: JSON.stringify({ scan_id: scan.id, code: scan.code })
    }).then(function (response) {
      signedOut = response.status === 401;
      if (response.status >= 500 || response.status === 429 || signedOut) { throw new Error(String(response.status)); }
      if (response.status === 403) {  // {status_code, detail, code: "csrf" | "forbidden"}
        return response.json().catch(function () { return {}; }).then(function (answer) {
          return { status: 403, answer: answer, refused: answer.code === "csrf" ? "expired" : "team" };
        });
      }
      return response.json().then(function (answer) { return { status: response.status, answer: answer }; });
    });
  }

  // The token the page was rendered with, fresh: the page again (its CSRF cookie is set anew when it is gone).
  // null when the page itself refuses this account (403); a failed connection throws (the scan stays queued).
  function freshToken() {
    return window.fetch(settings.pageUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (response.status === 403) { return null; }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text().then(function (html) {
          var field = new window.DOMParser().parseFromString(html, "text/html").querySelector("input[name=_csrf_token]");
          if (!field || !field.value) { throw new Error("no token"); }
          Array.prototype.forEach.call(document.querySelectorAll("input[name=_csrf_token]"), function (own) {
            own.value = field.value;  // the page's forms (without the script) send the fresh one too
          });
          return field.value;
        });
      });
  }

  function send(scan) {
    return post(scan).then(function (reply) {
      if (reply.refused !== "expired") { return reply; }
      return freshToken().then(function (token) {
        if (token === null) { return { status: 403, answer: {}, refused: "team" }; }
        return post(scan);  // once: a second refusal is final
      });
    });
  }

  function flush() {
    if (sending || !queue.length) { showQueue(); return Promise.resolve(); }
    sending = true;
    var scan = queue[0];
    return send(scan).then(function (reply) {
      queue.shift();  // answered (even a refusal): sent exactly once
      save(queueKey, queue);
      sending = false;
      if (reply.refused) {
        refuse(scan, reply.refused);
        return flush();
      }
      if (reply.status === 200 && tickets && reply.answer.found && tickets[scan.code]) {
        tickets[scan.code].checked_in = tickets[scan.code].checked_in || reply.answer.ok;
        save(listKey, tickets);
      }
      if (scan.shown && reply.status === 200 && (!scan.known || reply.answer.already !== scan.already)) {
        show(reply.answer);  // the server knew better than the list (checked in at another door meanwhile)
        shownScan = scan.id;
      }
      return flush();
    }).catch(function () {
      sending = false;  // offline or the server is away: try again later
      showQueue();
    });
  }

  function handle(raw) {
    var code = normalise(raw);
    if (!code) { return false; }
    var answer = localAnswer(code);
    var scan = { id: newScanId(), code: code, shown: true, known: Boolean(answer && answer.known),
                 already: Boolean(answer && answer.already) };
    shownScan = scan.id;
    if (answer) {
      if (!navigator.onLine || queue.length) { answer.note = settings.text.queued; }
      show(answer);
      if (answer.ok && !answer.already) { tickets[code].checked_in = true; save(listKey, tickets); }
      if (answer.known && (answer.already || !answer.ok)) { return true; }  // nothing to tell the server
    } else {
      show({ ok: false, title: settings.text.sending, code: code });
    }
    queue.push(scan);
    save(queueKey, queue);
    flush();
    return true;
  }

  form.addEventListener("submit", function (event) {
    if (handle(input.value)) {
      event.preventDefault();
      input.value = "";
      input.focus();
    }
  });
  refused.forEach(listRefusal);  // still there after a reload, until someone dismisses them
  window.addEventListener("online", flush);
  window.setInterval(function () { flush(); }, 10000);
  window.setInterval(function () { if (navigator.onLine && !queue.length) { refreshList(); } }, 60000);
  refreshList().then(flush);

  // --- the camera ------------------------------------------------------------------------------------------
  var start = document.querySelector("[data-scan-camera]");
  var panel = document.querySelector("[data-scanner]");
  var video = document.querySelector("[data-scanner-video]");
  var stop = document.querySelector("[data-scan-stop]");
  if (!start || !panel || !video || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }

  var stream = null;
  var running = false;
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var lastCode = "";
  var lastAt = 0;

  function detectorFor() {
    if (!("BarcodeDetector" in window)) { return Promise.resolve(null); }
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf("qr_code") === -1 ? null : new window.BarcodeDetector({ formats: ["qr_code"] });
    }).catch(function () { return null; });
  }

  function decodeFrame(detector) {
    if (detector) {
      return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : ""; });
    }
    if (!window.jsQR || !video.videoWidth) { return Promise.resolve(""); }
    var scale = Math.min(1, 640 / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    return Promise.resolve(found ? found.data : "");
  }

  function end() {
    running = false;
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    panel.hidden = true;
    start.hidden = false;
    input.focus();
  }

  detectorFor().then(function (detector) {
    if (!detector && !window.jsQR) { return; }
    start.hidden = false;

    function scan() {
      if (!running) { return; }
      decodeFrame(detector).then(function (text) {
        var now = Date.now();
        // The same ticket held in front of the camera is one scan, not one per frame.
        if (text && (normalise(text) !== lastCode || now - lastAt > 3000)) {
          lastCode = normalise(text);
          lastAt = now;
          handle(text);
        }
        window.setTimeout(scan, 150);
      }).catch(function () { window.setTimeout(scan, 300); });
    }

    start.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          panel.hidden = false;
          start.hidden = true;
          running = true;
          return video.play();
        })
        .then(scan)
        .catch(end);
    });
    stop.addEventListener("click", end);
  });
}());
