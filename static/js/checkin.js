/* Check-in: scan a ticket's QR code with the device camera where the browser can (BarcodeDetector).
   Progressive enhancement only: without it, a QR scanner app or a keyboard-wedge scanner types the code
   into the field, or staff type it; the form works the same way. */
(function () {
  "use strict";
  var start = document.querySelector("[data-scan-camera]");
  var panel = document.querySelector("[data-scanner]");
  var video = document.querySelector("[data-scanner-video]");
  var stop = document.querySelector("[data-scan-stop]");
  var input = document.getElementById("code");
  if (!start || !panel || !video || !input || !("BarcodeDetector" in window) ||
      !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var stream = null;
  var running = false;

  function end() {
    running = false;
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    panel.hidden = true;
    start.hidden = false;
    input.focus();
  }

  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") === -1) { return; }
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    start.hidden = false;

    function scan() {
      if (!running) { return; }
      detector.detect(video).then(function (codes) {
        if (codes.length && codes[0].rawValue) {
          input.value = codes[0].rawValue;
          end();
          input.form.submit();
        } else {
          window.requestAnimationFrame(scan);
        }
      }).catch(function () { window.requestAnimationFrame(scan); });
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
