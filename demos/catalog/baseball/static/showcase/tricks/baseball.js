// Terry's baseball game: Play writes the game run by run; six readers each re-read on their
// own, one read at a time, and keep a history of what they read. A reader stops once every
// replica holds the whole game (its read says "settled"), and reads again when a push says a
// run was applied, when this page plays, or when a hidden tab comes back: an idle page asks nothing,
// and a page that arrives on a settled game shows the reads it came with (demo.py page).
// The page that played a game shares its reads of it (share=1); every other page of the demo (the
// room's phones) shows those, pushed, and reads on its own only when none came for WATCH_GRACE_MS.
(function () {
  "use strict";
  var root = document.querySelector('[data-demo="baseball"]');
  if (!root) { return; }
  var page = window.ShellGame.page;  // page.js: timers and hooks that end with this page
  var EVERY_MS = 500, KEEP = 14, WATCH_GRACE_MS = 2500;
  var board = root.querySelector("[data-game-id]");
  var button = root.querySelector("[data-play]");
  var statusLine = root.querySelector("[data-play-status]");
  var game = board.dataset.gameId || "";
  var playing = false, readers = [];
  var newsMark = document.getElementById("news-baseball");
  var lastNews = newsMark ? newsMark.dataset.news : "";  // the newest write when the page was drawn
  // This page's readers, told apart from another tab's in the history the checker judges.
  var pageId = Math.random().toString(36).slice(2, 10);
  var sharing = "";  // the game this page played: its reads of it are the room's
  // Every read of the current game, per guarantee: what tests and the curious can inspect.
  window.baseballReads = {};

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function post(url, data) {
    return fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": csrf(), "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(data || {}),
    });
  }
  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // Learnt from a pushed read (`pushed`): the playing page's reads of the other readers follow
  // within EVERY_MS, so they wait for theirs (or WATCH_GRACE_MS) instead of all reading at once.
  function newGame(id, pushed) {
    game = id;
    board.dataset.gameId = id;
    root.dataset.game = "playing";
    readers.forEach(function (r) { r.clear(); if (pushed) { r.expect(); } else { r.wake(); } });
  }
  function wakeAll() { readers.forEach(function (r) { r.wake(); }); }

  function reader(pane) {
    var guarantee = pane.dataset.guarantee;
    var slot = pane.querySelector("[data-reading-slot]");
    var history = pane.querySelector("[data-history]");
    var anomalies = pane.querySelector('[data-counter="anomalies"]');
    var state = { seen: 0, turn: 0, last: null, never: 0 };

    function clear() {
      history.textContent = "";
      state.last = null;
      state.never = 0;
      anomalies.textContent = "0";
      window.baseballReads[guarantee] = [];
    }

    function url() {
      // trick:baseball
      // Each pane reads through its own guarantee. The monotonic reader's session memory,
      // the highest position it has read, travels with every read and comes back raised.
      var query = new URLSearchParams({ game: game, seen: state.seen, turn: state.turn, page: pageId });
      // end trick:baseball
      if (game && game === sharing) { query.set("share", "1"); }
      return pane.dataset.url + "?" + query;
    }

    function remember(reading, startedAt) {
      var score = reading.dataset.score;
      window.baseballReads[guarantee].push({
        score: score,
        allowed: reading.dataset.allowed.split(" "),
        written: Number(reading.dataset.written),
        inPrefix: reading.dataset.inPrefix === "1",
        source: reading.dataset.source,
        at: startedAt,
      });
      pane.dataset.score = score;
      if (Number(reading.dataset.written) === 7) { root.dataset.game = "over"; }
      if (score === state.last) { return; }
      state.last = score;
      var li = document.createElement("li");
      li.textContent = score;
      if (reading.dataset.inPrefix !== "1") {
        li.className = "never";
        li.title = "a score this game never had";
        state.never += 1;
        anomalies.textContent = String(state.never);
      }
      history.insertBefore(li, history.firstChild);
      while (history.children.length > KEEP) { history.removeChild(history.lastChild); }
    }

    // Whether this read leaves nothing more to read: the current game, settled everywhere.
    function landed(html, startedAt) {
      var box = document.createElement("div");
      box.innerHTML = html;
      var reading = box.querySelector("[data-reading]");
      if (!reading) { return false; }
      var latest = reading.dataset.latestGame;
      if (!playing && latest && latest !== game) { newGame(latest); return false; }  // someone played
      if (reading.dataset.gameId !== game) { return false; }  // an answer about the previous game
      slot.replaceChildren(reading);
      state.turn = Number(reading.dataset.turn);
      state.seen = Number(reading.dataset.seen);  // the server lowers it only after a reset
      remember(reading, startedAt);
      return reading.dataset.settled === "1";
    }

    // The playing page's read of this reader, pushed: shown as if this page had read it. A read
    // overtaken by a later one of the same game (two web processes) is dropped.
    var watchedAt = 0, watchedGame = "", watchedTurn = 0, fallback = null;
    function watching() { return Date.now() - watchedAt < WATCH_GRACE_MS; }
    function watch(html) {
      var box = document.createElement("div");
      box.innerHTML = html;
      var reading = box.querySelector("[data-reading]");
      if (!reading || (game && game === sharing)) { return; }  // this page plays: it reads itself
      var turn = Number(reading.dataset.turn);
      if (reading.dataset.gameId === watchedGame && turn <= watchedTurn) { return; }
      watchedGame = reading.dataset.gameId;
      watchedTurn = turn;
      watchedAt = Date.now();
      if (watchedGame !== game) { newGame(watchedGame, true); }
      clearTimeout(fallback);
      // Unsettled and then nothing more: the playing page went away; read on our own.
      if (!landed(html, watchedAt)) { fallback = page.later(wake, WATCH_GRACE_MS); }
    }

    var awake = false, again = false;
    function read() {
      if (document.hidden) { awake = false; return; }  // a hidden tab reads again when shown
      if (watching()) { awake = false; return; }  // the playing page reads for this one
      var startedAt = Date.now();
      again = false;
      fetch(url(), { headers: { "HX-Request": "true" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) { return landed(html, startedAt); })
        .catch(function () { return false; /* retried on the next tick */ })
        .then(function (settled) {
          if (settled && !again && !playing) { awake = false; return; }
          page.later(read, EVERY_MS);
        });
    }
    function wake() {
      if (watching()) { return; }
      again = true;  // a read under way may predate the news: read once more after it
      if (awake) { return; }
      awake = true;
      page.later(read, Math.random() * EVERY_MS);  // the readers do not read in lockstep
    }
    function expect() {
      if (watching()) { return; }
      clearTimeout(fallback);
      fallback = page.later(wake, WATCH_GRACE_MS);
    }
    clear();
    // A settled game comes read in the page: nothing to read until news of a write.
    var shown = slot.querySelector('[data-reading][data-settled="1"]');
    if (!(shown && landed(slot.innerHTML, Date.now()))) { wake(); }
    return { guarantee: guarantee, clear: clear, wake: wake, watch: watch, expect: expect };
  }

  async function play() {
    if (playing) { return; }
    playing = true;
    button.disabled = true;
    try {
      var response = await post(button.dataset.playUrl);
      var started = await response.json();
      if (!response.ok) { statusLine.textContent = started.error; return; }
      sharing = started.game;
      newGame(started.game);
      for (var i = 0; i < started.writes; i++) {
        var written = await post(button.dataset.writeUrl, { game: game, index: i });
        var answer = await written.json();
        if (written.status !== 202) { statusLine.textContent = answer.error; return; }
        statusLine.textContent = "Run " + (i + 1) + " of 7 written (#" + answer.position + ").";
        if (i + 1 < started.writes) { await sleep(started.pause_ms); }
      }
      root.dataset.game = "over";
      statusLine.textContent = "Game over: visitors 2, home 5. Watch the readers catch up.";
    } catch (error) {
      statusLine.textContent = "The game stopped: " + error.message;
    } finally {
      playing = false;
      button.disabled = false;
      button.textContent = "Play again";
    }
  }

  root.querySelectorAll("[data-guarantee]").forEach(function (pane) { readers.push(reader(pane)); });
  if (game) { root.dataset.game = "shown"; }
  button.addEventListener("click", play);
  // A run applied somewhere (pushed), or the tab shown again: read until settled once more.
  page.listen(document, "htmx:oobAfterSwap", function (event) {
    var target = event.detail && event.detail.target;
    // Only news of a newer write: a socket's snapshot on (re)connect repeats the last one.
    if (target && target.id === "news-baseball" && target.dataset.news !== lastNews) {
      lastNews = target.dataset.news;
      wakeAll();
    }
    if (target && target.hasAttribute("data-shared-read")) {
      var html = target.innerHTML;
      target.replaceChildren();
      readers.forEach(function (r) { if (target.id === "shared-read-" + r.guarantee) { r.watch(html); } });
    }
  });
  page.listen(document, "visibilitychange", function () { if (!document.hidden) { wakeAll(); } });
})();
