/* Keeps the capture page available offline once it has been opened (served from /staff/workshops/ so its
   scope covers the capture pages). Capture pages: network first, the last copy when the network fails.
   Their files (style, script, logo): the cached copy first, refreshed in the background. Nothing else is
   touched: the JSON API and every other page always go to the network. */
"use strict";

var PAGES = "samrad-capture-pages";
var FILES = "samrad-capture-files-v1";
var FILE_URLS = ["/static/css/samrad.css", "/static/css/capture.css", "/static/js/capture.js",
                 "/static/img/logo.svg", "/static/img/favicon.svg"];
var CAPTURE_PAGE = /^\/staff\/workshops\/\d+\/capture$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(FILES).then(function (cache) { return cache.addAll(FILE_URLS); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("samrad-capture-files-") === 0 && name !== FILES;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function capturePage(request) {
  return fetch(request).then(function (response) {
    // Only a real page is kept (a redirect to the login page is not).
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { return cache.put(new URL(request.url).pathname, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES).then(function (cache) { return cache.match(new URL(request.url).pathname); })
      .then(function (cached) { return cached || Response.error(); });
  });
}

function file(request) {
  return caches.open(FILES).then(function (cache) {
    return cache.match(request).then(function (cached) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      });
      if (cached) {
        fresh.catch(function () { return null; });
        return cached;
      }
      return fresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && CAPTURE_PAGE.test(url.pathname)) {
    event.respondWith(capturePage(request));
  } else if (FILE_URLS.indexOf(url.pathname) !== -1) {
    event.respondWith(file(request));
  }
});
