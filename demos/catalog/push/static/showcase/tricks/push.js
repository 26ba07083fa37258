// Server push: the naive pane is stale whenever the pushed pane holds an applied item it lacks.
(function () {
  "use strict";
  var G = window.ShellGame;
  if (!G) { return; }
  // The naive alternative to push: poll every 2 s while the box is ticked (each poll is counted).
  var poll = document.getElementById("poll"), poller = document.getElementById("push-poll");
  G.page.every(function () {
    if (poll && poller && poll.checked && window.htmx) { window.htmx.trigger(poller, "poll"); }
  }, 2000);
  G.onScan(function () {
    G.pane("trick").querySelectorAll("[data-item-id][data-state=confirmed]").forEach(function (item) {
      if (!G.findIn(G.pane("naive"), item.dataset.itemId)) {
        G.anomaly("naive", "stale: missing an applied item", item.dataset.itemId);
      }
    });
  });
})();
