// Monotonic writes: count every write shown applied while the session's write before it is not.
(function () {
  "use strict";
  var G = window.ShellGame;
  if (!G) { return; }
  // trick:monotonic-writes
  G.onScan(function () {
    ["naive", "trick"].forEach(function (name) {
      var pane = G.pane(name);
      pane.querySelectorAll("[data-after]:not([data-held])").forEach(function (write) {
        var after = write.dataset.after;
        var before = pane.querySelector('[data-position="' + after + '"]:not([data-held])');
        if (after !== "0" && !before && write.dataset.state === "confirmed") {
          G.anomaly(name, "applied before the write it follows", write.dataset.itemId);
        }
      });
    });
  });
  // end trick:monotonic-writes
})();
