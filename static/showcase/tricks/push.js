// Server push: the naive pane is stale whenever the pushed pane holds an applied item it lacks.
(function () {
  "use strict";
  var G = window.ShellGame;
  if (!G) { return; }
  G.onScan(function () {
    G.pane("trick").querySelectorAll("[data-item-id][data-state=confirmed]").forEach(function (item) {
      if (!G.findIn(G.pane("naive"), item.dataset.itemId)) {
        G.anomaly("naive", "stale: missing an applied item", item.dataset.itemId);
      }
    });
  });
})();
