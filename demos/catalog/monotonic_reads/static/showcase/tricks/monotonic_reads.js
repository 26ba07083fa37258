// Monotonic reads: each pane re-reads on its own, one read at a time, and counts every read
// that shows less than the one before ("went back in time").
(function () {
  "use strict";
  var G = window.ShellGame;
  if (!G) { return; }
  var EVERY_MS = 1000;

  function reader(name) {
    var el = G.pane(name).querySelector("[data-reader]");
    var state = { turn: 0, seen: 0, newest: null, reads: 0 };

    function url() {
      // trick:monotonic-reads
      // The session's memory travels with every read: the highest position it has seen.
      // The server answers only from a replica at least that fresh, and says how far it was.
      return el.dataset.url + "?turn=" + state.turn + "&seen=" + state.seen;
      // end trick:monotonic-reads
    }

    function shown(read) {
      var top = read.querySelector("[data-position]");
      return top ? Number(top.dataset.position) : 0;
    }

    function landed(html) {
      el.innerHTML = html;
      var read = el.querySelector("[data-read]");
      state.reads += 1;
      state.turn = Number(read.dataset.turn);
      if (read.dataset.seen) { state.seen = Number(read.dataset.seen); }
      var newest = shown(read);
      // Newest first: a lower top position than last time means this read shows less.
      if (state.newest !== null && newest < state.newest) {
        G.anomaly(name, "went back in time", "read-" + state.reads);
      }
      state.newest = newest;
    }

    function read() {
      fetch(url(), { headers: { "HX-Request": "true" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(landed)
        .catch(function () { /* a failed read is retried on the next tick */ })
        .then(function () { setTimeout(read, EVERY_MS); });
    }
    read();
  }
  reader("naive");
  reader("trick");
})();
