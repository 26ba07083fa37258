// Monotonic reads: each pane re-reads on its own, one read at a time, and counts every read
// that shows less than the one before ("went back in time"). Reading stops once every replica
// holds every comment (and was read so), and starts again on a write, a pushed apply or a tab
// shown again.
(function () {
  "use strict";
  var G = window.ShellGame;
  if (!G) { return; }
  var EVERY_MS = 1000;
  // Converged reads before a pane stops: one from each replica, so each is seen to agree.
  var rotation = document.querySelector("[data-rotation]");
  var ROUND = rotation ? rotation.dataset.rotation.split(" ").length : 1;
  // This page's reads, told apart from another tab's in the history the checker judges.
  var pageId = Math.random().toString(36).slice(2, 10);

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

    // Whether this read leaves nothing more to read: every replica has all of the stream.
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
      return read.dataset.converged === "1";
    }

    var awake = false, again = false, agreed = 0;
    function read() {
      if (document.hidden) { awake = false; return; }  // a hidden tab reads again when shown
      again = false;
      fetch(url() + "&page=" + pageId, { headers: { "HX-Request": "true" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(landed)
        .catch(function () { return false; /* a failed read is retried on the next tick */ })
        .then(function (converged) {
          agreed = converged ? agreed + 1 : 0;
          if (agreed >= ROUND && !again) { awake = false; agreed = 0; return; }
          G.page.later(read, EVERY_MS);
        });
    }
    function wake() {
      again = true;  // a read under way may predate the news: read once more after it
      if (!awake) { awake = true; read(); }
    }
    wake();
    return wake;
  }
  var readers = [reader("naive"), reader("trick")];
  function wakeAll() { readers.forEach(function (wake) { wake(); }); }
  G.page.listen(document, "htmx:oobAfterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "news-monotonic-reads") { wakeAll(); }
  });
  G.page.listen(document, "htmx:afterRequest", function (event) {
    if (event.detail.elt.closest && event.detail.elt.closest("[data-write-form]")) { wakeAll(); }
  });
  G.page.listen(document, "visibilitychange", function () { if (!document.hidden) { wakeAll(); } });
})();
