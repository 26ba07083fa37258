// Pushed updates, told to screen readers politely: what the socket brought in (new items, items
// confirmed or rejected) is counted and summed up at most once every two seconds ("3 new items,
// 1 confirmed"), never once per frame: a busy room would otherwise talk over the learner.
(function () {
  "use strict";
  var EVERY_MS = 2000;
  var GATHER_MS = 500;
  var PUSH_WINDOW_MS = 1000;  // changes this soon after a frame are that frame's swaps settling
  var lastFrameAt = -Infinity;
  var lastSaidAt = -Infinity;
  var timer = null;
  var counts = { added: 0, confirmed: 0, rejected: 0 };

  function region() { return document.querySelector("[data-announcer]"); }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function say() {
    timer = null;
    var parts = [];
    if (counts.added) { parts.push(plural(counts.added, "new item", "new items")); }
    if (counts.confirmed) { parts.push(counts.confirmed + " confirmed"); }
    if (counts.rejected) { parts.push(counts.rejected + " rejected"); }
    counts = { added: 0, confirmed: 0, rejected: 0 };
    var el = region();
    if (!parts.length || !el) { return; }
    lastSaidAt = Date.now();
    el.textContent = parts.join(", ") + ".";
  }

  function soon() {
    if (timer) { return; }
    // A first update waits a moment for the rest of its burst, so one sentence sums it up.
    timer = setTimeout(say, Math.max(GATHER_MS, lastSaidAt + EVERY_MS - Date.now()));
  }

  // Each item by its id (a pushed copy replaces the element, not the item) and its last state.
  var states = {};

  function note(item, pushed) {
    var id = item.getAttribute("data-item-id"), state = item.getAttribute("data-state");
    var before = states[id];
    states[id] = state;
    if (!pushed || before === state) { return; }
    if (before === undefined) { counts.added++; }
    if (state === "confirmed") { counts.confirmed++; }
    if (state === "rejected") { counts.rejected++; }
  }

  function start() {
    document.querySelectorAll("[data-item-id]").forEach(function (item) { note(item, false); });
    new MutationObserver(function (records) {
      var pushed = Date.now() - lastFrameAt < PUSH_WINDOW_MS;
      records.forEach(function (record) {
        var nodes = record.type === "attributes" ? [record.target] : Array.prototype.slice.call(record.addedNodes);
        nodes.forEach(function (node) {
          if (!node.querySelectorAll || !node.isConnected) { return; }
          if (node.matches("[data-item-id]")) { note(node, pushed); }
          node.querySelectorAll("[data-item-id]").forEach(function (item) { note(item, pushed); });
        });
      });
      if (counts.added || counts.confirmed || counts.rejected) { soon(); }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"] });
  }

  document.addEventListener("htmx:wsBeforeMessage", function () { lastFrameAt = Date.now(); });
  // A page swapped in (follow.js) is a page shown, not news: nothing of it is announced.
  document.addEventListener("shell:leave", function () { lastFrameAt = 0; });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
