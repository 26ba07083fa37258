// The replay engine: plays a recorded run (the JSON in #run-data) back into [data-replay]:
// both panes, their counters, a line saying what just happened and a space-time diagram.
// The same file runs on /runs/<id>/ and inline in an exported run (runs/export.py): no
// network, no eval, nothing inline it relies on.
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var LANE = 34, TOP = 44, LABEL = 118, RIGHT = 16;
  var MAX_WAIT_MS = 1500;  // an idle stretch plays in at most this long (at 1x)

  function el(tag, attrs, text) {
    var node = tag.indexOf("svg:") === 0 ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function seconds(ms) { return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s"; }

  function lagText(lag) {
    if (!lag) { return "lag unknown"; }
    if (lag.paused) { return "partition"; }
    return "lag " + (lag.delay_ms || 0) + " ms ± " + (lag.jitter_ms || 0) + " ms" +
      (lag.failure_rate ? ", " + Math.round(lag.failure_rate * 100) + " % refused" : "") + (lag.reorder ? ", reorder" : "");
  }

  function Replay(root, run) {
    this.root = root;
    this.run = run;
    this.events = run.events || [];
    this.shown = run.demo.replica;
    this.index = 0;
    this.speed = 1;
    this.timer = null;
    var sessions = [];
    this.events.forEach(function (e) {
      if (e.k === "accepted" && sessions.indexOf(e.session) < 0) { sessions.push(e.session); }
    });
    this.sessions = sessions;
    this.t0 = this.events.length ? this.events[0].t : run.started;
    this.t1 = this.events.length ? this.events[this.events.length - 1].t : run.ended;
  }

  // What the run looked like just after event `upto`: folded from the start, so stepping back
  // is as exact as stepping forward.
  Replay.prototype.state = function (upto) {
    var items = {}, order = [], applied = [], lag = this.run.lag || {};
    var counts = { accepted: 0, applied: 0, rejected: 0, pushed: 0, restarts: 0, partitions: lag.paused ? 1 : 0, maxLag: 0 };
    for (var i = 0; i <= upto && i < this.events.length; i++) {
      var e = this.events[i];
      if (e.k === "accepted") {
        items[e.key] = { key: e.key, pos: e.pos, text: e.text, session: e.session, t: e.t, state: "pending", reason: "" };
        order.push(e.key);
        counts.accepted++;
      } else if ((e.k === "applied" || e.k === "rejected") && e.r === this.shown && items[e.key]) {
        var item = items[e.key];
        item.state = e.k === "applied" ? "confirmed" : "rejected";
        item.reason = e.reason || "";
        counts[e.k]++;
        counts.maxLag = Math.max(counts.maxLag, e.t - item.t);
        if (e.k === "applied") { applied.push(e.key); }
      } else if (e.k === "pushed") {
        counts.pushed++;
      } else if (e.k === "lag") {
        if (e.lag.paused && !lag.paused) { counts.partitions++; }
        lag = e.lag;
      } else if (e.k === "restart") {
        counts.restarts++;
      } else if (e.k === "withdrawn") {
        // A proposal without a quorum left the log: every pane forgets it.
        Object.keys(items).forEach(function (key) { if (items[key].pos === e.pos) { delete items[key]; } });
      }
    }
    return { items: items, order: order, applied: applied, counts: counts, lag: lag };
  };

  Replay.prototype.describe = function (e) {
    var at = "+" + seconds(e.t - this.t0) + " · ";
    var what = {
      accepted: function () { return "accepted #" + e.pos + " “" + e.text + "”" + (e.session ? " from session " + e.session : ""); },
      applied: function () { return "replica " + e.r + " applied #" + e.pos; },
      rejected: function () { return "replica " + e.r + " rejected #" + e.pos + (e.reason ? ": " + e.reason : ""); },
      pushed: function () { return "#" + e.pos + " pushed to the pages (" + e.r + ")"; },
      lag: function () { return e.lag.paused ? "❚❚ partition: writes queue up" : "⚙ " + lagText(e.lag); },
      restart: function () { return "↻ process " + e.process + " died (" + (e.exit || "killed") + ") and restarted"; },
      reset: function () { return "demo data reset"; },
      seen: function () { return "a browser rendered settled items"; },
      withdrawn: function () { return "#" + e.pos + " withdrawn: no quorum"; },
      progressed: function () { return "a checkout moved on: " + e.state; },
      scenario: function () { return "scenario: " + e.title; },
      presenting: function () { return "presenting " + (e.on ? "on" : "off"); }
    }[e.k];
    return at + (what ? what() : e.k);
  };

  Replay.prototype.renderList = function (list, keys, items, naive) {
    list.replaceChildren();
    var shown = keys.slice().reverse();  // newest first, as the live lists
    if (!shown.length) {
      list.appendChild(el("li", { "class": "empty" }, "Nothing here yet."));
      return;
    }
    shown.forEach(function (key) {
      var item = items[key];
      if (!item) { return; }
      var state = naive ? "confirmed" : item.state;
      var li = el("li", { "data-item-id": item.key, "data-state": state, "data-position": String(item.pos) });
      li.appendChild(el("span", { "class": "pos" }, "#" + item.pos));
      li.appendChild(el("span", { "class": "text" }, item.text));
      if (state === "pending") { li.appendChild(el("span", { "class": "state" }, "pending")); }
      if (state === "rejected") { li.appendChild(el("span", { "class": "reason" }, "rolled back: " + item.reason)); }
      list.appendChild(li);
    });
  };

  Replay.prototype.renderCounters = function (dl, pairs) {
    dl.replaceChildren();
    pairs.forEach(function (pair) {
      var div = el("div");
      div.appendChild(el("dt", {}, pair[0]));
      div.appendChild(el("dd", { "data-replay-counter": pair[2] }, String(pair[1])));
      dl.appendChild(div);
    });
  };

  Replay.prototype.show = function (index) {
    var n = this.events.length;
    this.index = Math.max(0, Math.min(index, n - 1));
    var s = this.state(this.index);
    var panes = this.root.querySelectorAll("[data-replay-pane]");
    var c = s.counts;
    for (var p = 0; p < panes.length; p++) {
      var naive = panes[p].dataset.replayPane === "naive";
      this.renderList(panes[p].querySelector("[data-replay-list]"), naive ? s.applied : s.order, s.items, naive);
      this.renderCounters(panes[p].querySelector("[data-replay-counters]"), naive ? [
        ["shows", s.applied.length, "shows"],
        ["behind by", c.accepted - c.applied - c.rejected, "behind"],
        ["slowest apply", c.maxLag ? seconds(c.maxLag) : "—", "max-lag"]
      ] : [
        ["shows", s.order.length, "shows"],
        ["pending", c.accepted - c.applied - c.rejected, "pending"],
        ["rolled back", c.rejected, "rejected"],
        ["pushed", c.pushed, "pushed"]
      ]);
    }
    this.root.querySelector("[data-replay-position]").textContent = (n ? this.index : 0) + "/" + n;
    var scrub = this.root.querySelector("[data-replay-scrub]");
    scrub.value = String(this.index);
    this.root.querySelector("[data-replay-now]").textContent = n ?
      this.describe(this.events[this.index]) + " · " + lagText(s.lag) + (c.restarts ? " · " + c.restarts + " restart(s)" : "") :
      "This run recorded nothing.";
    this.root.dataset.replayLag = s.lag.paused ? "paused" : "flowing";
    var guide = this.root.querySelectorAll("[data-guide] li");
    for (var g = 0; g < guide.length; g++) {
      if (g === Math.min(Math.max(c.accepted - 1, 0), guide.length - 1)) { guide[g].setAttribute("aria-current", "step"); }
      else { guide[g].removeAttribute("aria-current"); }
    }
    this.moveCursor();
  };

  // ---- The space-time diagram: drawn once, a cursor moves and what is yet to come is dimmed.
  Replay.prototype.x = function (t) {
    var span = Math.max(this.t1 - this.t0, 1);
    return LABEL + (t - this.t0) / span * (this.width - LABEL - RIGHT);
  };

  Replay.prototype.draw = function () {
    var svg = this.root.querySelector("[data-replay-diagram]");
    var self = this;
    this.svg = svg;
    this.width = Math.max(svg.parentNode.clientWidth || 800, 640);
    var lanes = {};
    var labels = [];
    this.sessions.forEach(function (s, i) { lanes["s:" + s] = i; labels.push("session " + (i + 1) + (s ? " " + s.slice(0, 4) : "")); });
    (this.run.replicas || []).forEach(function (r) { lanes["r:" + r] = labels.length; labels.push("replica " + r); });
    var height = TOP + labels.length * LANE + 12;
    svg.setAttribute("viewBox", "0 0 " + this.width + " " + height);
    svg.setAttribute("width", String(this.width));
    svg.setAttribute("height", String(height));
    svg.replaceChildren();
    var defs = el("svg:defs");
    var hatch = el("svg:pattern", { id: "replay-hatch", width: "8", height: "8", patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
    hatch.appendChild(el("svg:line", { x1: "0", y1: "0", x2: "0", y2: "8", "class": "hatch-line" }));
    defs.appendChild(hatch);
    svg.appendChild(defs);
    function y(lane) { return TOP + lane * LANE + LANE / 2; }
    labels.forEach(function (label, i) {
      svg.appendChild(el("svg:line", { x1: String(LABEL), x2: String(self.width - RIGHT), y1: String(y(i)), y2: String(y(i)), "class": "lane" }));
      svg.appendChild(el("svg:text", { x: "4", y: String(y(i) + 5), "class": "lane-label" }, label));
    });
    var bottom = TOP + labels.length * LANE;
    var marks = [];
    function mark(node, i) { node.setAttribute("data-i", String(i)); svg.appendChild(node); marks.push(node); }
    function fault(i, x0, x1, symbol, label, cls) {
      var g = el("svg:g", { "class": "fault " + cls });
      if (x1 > x0) {
        g.appendChild(el("svg:rect", { x: String(x0), y: String(TOP - 6), width: String(Math.max(x1 - x0, 2)), height: String(bottom - TOP + 6), "class": "fault-band" }));
      }
      g.appendChild(el("svg:line", { x1: String(x0), x2: String(x0), y1: String(TOP - 18), y2: String(bottom), "class": "fault-edge" }));
      g.appendChild(el("svg:text", { x: String(x0 + 3), y: String(TOP - 22), "class": "fault-label" }, symbol + " " + label));
      mark(g, i);
    }
    var accepted = {}, paused = (this.run.lag || {}).paused ? { i: 0, x: LABEL } : null;
    this.events.forEach(function (e, i) {
      var x = self.x(e.t);
      if (e.k === "accepted") {
        accepted[e.key] = { x: x, lane: lanes["s:" + e.session] };
        var dot = el("svg:circle", { cx: String(x), cy: String(y(accepted[e.key].lane)), r: "5", "class": "write" });
        dot.appendChild(el("svg:title", {}, self.describe(e)));
        mark(dot, i);
      } else if ((e.k === "applied" || e.k === "rejected") && accepted[e.key] && lanes["r:" + e.r] !== undefined) {
        var from = accepted[e.key], ry = y(lanes["r:" + e.r]);
        var g = el("svg:g", { "class": "message message--" + e.k });
        g.appendChild(el("svg:line", { x1: String(from.x), y1: String(y(from.lane)), x2: String(x), y2: String(ry) }));
        g.appendChild(el("svg:text", { x: String(x - 5), y: String(ry + 5), "class": "outcome" }, e.k === "applied" ? "✓" : "✗"));
        g.appendChild(el("svg:title", {}, self.describe(e)));
        mark(g, i);
      } else if (e.k === "lag") {
        if (e.lag.paused && !paused) { paused = { i: i, x: x }; }
        else if (!e.lag.paused && paused) { fault(paused.i, paused.x, x, "❚❚", "partition", "fault--partition"); paused = null; }
        else if (!e.lag.paused) { fault(i, x, x, "⚙", lagText(e.lag), "fault--lag"); }
      } else if (e.k === "restart") {
        fault(i, x, x, "↻", e.process + " restarted", "fault--restart");
      }
    });
    if (paused) { fault(paused.i, paused.x, this.width - RIGHT, "❚❚", "partition (not healed)", "fault--partition"); }
    this.cursor = el("svg:line", { y1: String(TOP - 30), y2: String(bottom + 4), "class": "cursor" });
    svg.appendChild(this.cursor);
    this.marks = marks;
  };

  Replay.prototype.moveCursor = function () {
    if (!this.svg) { return; }
    var e = this.events[this.index];
    var x = String(this.x(e ? e.t : this.t0));
    this.cursor.setAttribute("x1", x);
    this.cursor.setAttribute("x2", x);
    // On a narrow screen the diagram scrolls: keep the moment shown in view.
    var scroller = this.svg.parentNode;
    if (scroller.scrollWidth > scroller.clientWidth) {
      scroller.scrollLeft = Math.max(0, Number(x) - scroller.clientWidth / 2);
    }
    var index = this.index;
    this.marks.forEach(function (node) {
      node.classList.toggle("is-future", Number(node.getAttribute("data-i")) > index);
    });
  };

  // ---- Playing.
  Replay.prototype.play = function () {
    if (this.index >= this.events.length - 1) { this.show(0); }
    this.playing = true;
    this.updatePlay();
    this.tick();
  };

  Replay.prototype.pause = function () {
    this.playing = false;
    clearTimeout(this.timer);
    this.updatePlay();
  };

  Replay.prototype.tick = function () {
    var self = this;
    if (!this.playing) { return; }
    if (this.index >= this.events.length - 1) { this.pause(); return; }
    var gap = this.events[this.index + 1].t - this.events[this.index].t;
    var wait = Math.max(Math.min(gap, MAX_WAIT_MS), 40) / this.speed;
    this.timer = setTimeout(function () { self.show(self.index + 1); self.tick(); }, wait);
  };

  Replay.prototype.updatePlay = function () {
    var button = this.root.querySelector("[data-replay-play]");
    button.textContent = this.playing ? "❚❚ pause" : "▶ play";
    button.setAttribute("aria-pressed", String(!!this.playing));
  };

  Replay.prototype.step = function (delta) {
    this.pause();
    this.show(this.index + delta);
  };

  Replay.prototype.setSpeed = function (speed) {
    this.speed = speed;
    var buttons = this.root.querySelectorAll("[data-replay-speed]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", String(Number(buttons[i].dataset.replaySpeed) === speed));
    }
  };

  Replay.prototype.bind = function () {
    var self = this;
    this.root.addEventListener("click", function (event) {
      var target = event.target.closest("button");
      if (!target) { return; }
      if (target.dataset.replayStep) { self.step(target.dataset.replayStep === "back" ? -1 : 1); }
      else if (target.hasAttribute("data-replay-play")) { if (self.playing) { self.pause(); } else { self.play(); } }
      else if (target.dataset.replaySpeed) { self.setSpeed(Number(target.dataset.replaySpeed)); }
    });
    this.root.querySelector("[data-replay-scrub]").addEventListener("input", function (event) {
      self.pause();
      self.show(Number(event.target.value));
    });
    // Keys the presenter's (arrows, PageUp/Down, P, R, E, B, ".") leave free.
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) { return; }
      var tag = event.target && event.target.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
      if (event.key === "[") { event.preventDefault(); self.step(-1); }
      else if (event.key === "]") { event.preventDefault(); self.step(1); }
      else if (event.key === " " && tag !== "BUTTON" && tag !== "A") {
        event.preventDefault();
        if (self.playing) { self.pause(); } else { self.play(); }
      }
    });
    var resized = null;
    window.addEventListener("resize", function () {
      clearTimeout(resized);
      resized = setTimeout(function () { self.draw(); self.moveCursor(); }, 150);
    });
  };

  function start() {
    var root = document.querySelector("[data-replay]");
    var data = document.getElementById("run-data");
    if (!root || !data) { return; }
    var replay = new Replay(root, JSON.parse(data.textContent));
    replay.draw();
    replay.bind();
    replay.show(0);
    root.dataset.replayReady = "true";
    window.ShellGameReplay = replay;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
