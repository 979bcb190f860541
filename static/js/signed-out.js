/* After logging out (the staff login page, ?logged_out=1): the capture page's copies on this device go with
   the account that left, the kept page with its recent input (the service worker's "samrad-capture-pages")
   and the entries already saved (static/js/capture.js keeps them a while to list them offline). Entries still
   waiting to be sent stay, and are sent after the next login: nothing said at a table is lost. */
(function () {
  "use strict";

  if (window.caches) { window.caches.delete("samrad-capture-pages"); }
  if (!window.indexedDB) { return; }
  var request = window.indexedDB.open("samrad-capture");
  // No such store on this device yet: abort the upgrade, so logging out creates nothing.
  request.onupgradeneeded = function () { request.transaction.abort(); };
  request.onsuccess = function () {
    var db = request.result;
    if (!db.objectStoreNames.contains("entries")) { db.close(); return; }
    var transaction = db.transaction("entries", "readwrite");
    transaction.objectStore("entries").openCursor().onsuccess = function (event) {
      var cursor = event.target.result;
      if (!cursor) { return; }
      if (cursor.value.state === "saved") { cursor.delete(); }
      cursor.continue();
    };
    transaction.oncomplete = function () { db.close(); };
    transaction.onerror = function () { db.close(); };
  };
})();
