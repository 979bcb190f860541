/* Keyboard shortcuts of the moderation queue: j/k move between items, a approves, h hides, e opens the item,
   x ticks it for merging. Progressive enhancement only: each shortcut presses a button or link that is on the
   page anyway, and nothing happens while a text field, a button or a link has focus for typing. */
(function () {
  "use strict";
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-queue-item]"));
  if (!items.length) { return; }
  var current = -1;

  function select(index) {
    if (index < 0 || index >= items.length) { return; }
    if (current >= 0) { items[current].classList.remove("current"); }
    current = index;
    items[current].classList.add("current");
    items[current].focus();
  }

  function press(action) {
    if (current < 0) { return; }
    var target = items[current].querySelector('[data-action="' + action + '"]');
    if (!target) { return; }
    if (target.type === "checkbox") { target.checked = !target.checked; } else { target.click(); }
  }

  items.forEach(function (item, index) {
    item.addEventListener("focusin", function () {
      if (current !== index) {
        if (current >= 0) { items[current].classList.remove("current"); }
        current = index;
        item.classList.add("current");
      }
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var tag = (event.target && event.target.tagName) || "";
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || (event.target && event.target.isContentEditable)) { return; }
    var keys = { j: function () { select(current + 1); }, k: function () { select(Math.max(current - 1, 0)); },
                 a: function () { press("approve"); }, h: function () { press("hide"); },
                 e: function () { press("open"); }, x: function () { press("pick"); } };
    var handler = keys[event.key];
    if (handler) {
      event.preventDefault();
      handler();
    }
  });
}());
