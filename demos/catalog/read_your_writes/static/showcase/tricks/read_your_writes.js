// Read your writes: switching the strategy reloads the page with it (no inline handler); and
// when the lagging replica's read finally shows one of your writes, the naive pane says so.
(function () {
  "use strict";
  var form = document.querySelector("form.strategy");
  if (form) { form.addEventListener("change", function () { form.submit(); }); }

  var G = window.ShellGame;
  if (!G) { return; }
  // Own writes the naive read lacked when this page was drawn: the replica had not applied them.
  var missing = {};
  Object.keys(G.own()).forEach(function (key) {
    if (!G.findIn(G.pane("naive"), key)) { missing[key] = true; }
  });
  G.onScan(function () {
    var own = G.own();
    Object.keys(missing).forEach(function (key) {
      if (!own[key] || !G.findIn(G.pane("naive"), key)) { return; }
      delete missing[key];
      var note = document.querySelector("[data-caught-up]");
      if (!note) { return; }
      var seconds = ((Date.now() - own[key].t0) / 1000).toFixed(1);
      note.textContent = "Caught up live at " + new Date().toLocaleTimeString() + ": “" + own[key].text +
        "” reached this read " + seconds + " s after you posted it, without a reload.";
      note.dataset.caughtUp = key;
    });
  });
})();
