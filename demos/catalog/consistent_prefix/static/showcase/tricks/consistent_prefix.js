// Consistent prefix: count every post shown while the post before it in the thread is not.
(function () {
  "use strict";
  var G = window.ShellGame;
  if (!G) { return; }
  G.onScan(function () {
    ["naive", "trick"].forEach(function (name) {
      var pane = G.pane(name);
      pane.querySelectorAll("[data-after]").forEach(function (post) {
        var after = post.dataset.after;
        if (after !== "0" && !pane.querySelector('[data-position="' + after + '"]')) {
          G.anomaly(name, "answer before its question", post.dataset.itemId);
        }
      });
    });
  });
})();
