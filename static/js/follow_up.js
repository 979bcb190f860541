// Progressive enhancement for the follow-up pages: a print button, and "choose all on this page" in the input
// browser. Everything works without it (the browser's own print, one checkbox at a time).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  var table = document.querySelector(".fu-items");
  if (!table) { return; }
  var boxes = table.querySelectorAll("tbody input[type=checkbox]");
  var cell = table.querySelector("thead th");
  if (!cell || !boxes.length) { return; }
  var all = document.createElement("input");
  all.type = "checkbox";
  all.id = "choose-all";
  all.setAttribute("aria-label", cell.getAttribute("data-all-label") || "");
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
  });
  cell.textContent = "";
  cell.appendChild(all);
})();
