// Every demo page: per-pane counters of what each side cost and the anomaly meter of what
// went wrong on screen, taken from what was actually rendered. Each trick's own script
// (static/showcase/tricks/) uses `window.ShellGame` to add what only its page can see.
(function () {
  "use strict";
  var root = document.querySelector("[data-demo]");
  if (!root) { return; }
  var page = window.ShellGame.page;  // page.js: what this page hooks outside its main is undone when it goes
  var slug = root.dataset.demo;
  var storageKey = "shell-game:" + slug;
  var PANES = Array.prototype.map.call(root.querySelectorAll("[data-pane]"), function (el) { return el.dataset.pane; });
  var scanHooks = [];
  var KEEP = 30;
  var LIST_LIMIT = 15;  // demos/reads.py LIMIT: the most items a list shows

  // sessionStorage: survives the read-your-writes redirect, and is per tab like a session.
  function load() {
    try { return JSON.parse(sessionStorage.getItem(storageKey)) || null; } catch (e) { return null; }
  }
  var state = load() || { own: {}, order: [], panes: {} };
  PANES.forEach(function (p) {
    state.panes[p] = state.panes[p] || { requests: 0, feedback: null, anomalies: {} };
  });
  function save() { sessionStorage.setItem(storageKey, JSON.stringify(state)); }

  // The write form behind a request's event, even when it answers into a wrapper around it.
  function writeForm(event) {
    var config = event.detail.requestConfig;
    var elt = (config && config.elt) || event.detail.elt;
    return elt.closest ? elt.closest("[data-write-form]") : null;
  }
  function pane(name) { return root.querySelector('[data-pane="' + name + '"]'); }
  function findIn(el, key) { return el && el.querySelector('[data-item-id="' + CSS.escape(key) + '"]'); }
  var visible = {};
  PANES.forEach(function (p) { visible[p] = {}; });

  function render() {
    PANES.forEach(function (p) {
      var el = pane(p), s = state.panes[p];
      if (!el) { return; }
      var total = 0, parts = [];
      Object.keys(s.anomalies).forEach(function (label) {
        var n = s.anomalies[label].length;
        total += n;
        parts.push(label + " ×" + n);
      });
      setText(el.querySelector('[data-counter="feedback"]'), s.feedback === null ? "—" : s.feedback + " ms");
      setText(el.querySelector('[data-counter="requests"]'), String(s.requests));
      setText(el.querySelector('[data-counter="anomalies"]'), String(total));
      setText(el.querySelector("[data-anomaly-list]"), parts.join(" · "));
    });
  }

  // Only real changes touch the DOM: the observer below must not wake itself up forever.
  function setText(el, text) { if (el.textContent !== text) { el.textContent = text; } }

  function anomaly(p, label, id) {
    var list = state.panes[p].anomalies[label] = state.panes[p].anomalies[label] || [];
    if (list.indexOf(id) === -1) { list.push(id); save(); render(); }
  }

  function recordWrite(form) {
    var key = form.querySelector("input[name=key]");
    var field = form.querySelector("input[type=text], textarea");
    if (!key || !field || !field.value.trim()) { return null; }
    if (!state.own[key.value]) {
      state.own[key.value] = { t0: Date.now(), text: field.value.trim(), fed: {} };
      state.order.push(key.value);
      while (state.order.length > KEEP) { delete state.own[state.order.shift()]; }
    }
    state.lastKey = key.value;
    save();
    return key.value;
  }

  function countRequest(elt) {
    if (elt.closest("[data-write-form]")) {
      PANES.forEach(function (p) { state.panes[p].requests += 1; });  // one action feeds both
    } else if (elt.closest("[data-pane]")) {
      state.panes[elt.closest("[data-pane]").dataset.pane].requests += 1;
    }
    save();
    render();
  }

  // After every change on screen: feedback times, and anomalies seen in each pane.
  function scan() {
    scanHooks.forEach(function (hook) { hook(); });
    PANES.forEach(function (p) {
      var el = pane(p), now = {};
      el.querySelectorAll("[data-item-id]").forEach(function (item) { now[item.dataset.itemId] = item; });
      Object.keys(state.own).forEach(function (key) {
        var write = state.own[key], item = now[key];
        if (item && write.fed[p] === undefined) {
          write.fed[p] = Date.now() - write.t0;
          state.panes[p].feedback = write.fed[p];
          save();
        }
        if (item && item.dataset.state === "rejected") { anomaly(p, "rolled back", key); }
        if (item) {
          var retry = item.querySelector(".retry");
          if (retry && retry.hidden) { retry.hidden = false; }
        }
      });
      // Gone, unless a full list pushed it off its end (it is older than everything shown).
      var oldest = Infinity, shown = Object.keys(now).length;
      var limit = Number((el.querySelector("[data-limit]") || {dataset: {}}).dataset.limit) || LIST_LIMIT;
      Object.keys(now).forEach(function (key) {
        var position = Number(now[key].dataset.position);
        if (position) { oldest = Math.min(oldest, position); }
      });
      Object.keys(visible[p]).forEach(function (key) {
        var position = Number(visible[p][key].dataset.position);
        var pushedOff = shown >= limit && position && position < oldest;
        if (!now[key] && !pushedOff) { anomaly(p, "item vanished", key); }
      });
      visible[p] = now;
    });
    PANES.forEach(function (p) {
      // Lists show the newest first: a higher position below a lower one is out of log order.
      pane(p).querySelectorAll("ol.items").forEach(function (list) {
        var last = Infinity;
        list.querySelectorAll(":scope > [data-position]").forEach(function (item) {
          var position = Number(item.dataset.position);
          if (position > last) { anomaly(p, "out of order", item.dataset.itemId); }
          last = Math.min(last, position);
        });
      });
    });
    render();
  }

  window.ShellGame = Object.assign(window.ShellGame || {}, {
    root: root,
    pane: pane,
    findIn: findIn,
    writeForm: writeForm,
    anomaly: anomaly,
    // This tab's own writes: key -> { t0 (epoch ms at the click), text }.
    own: function () { return state.own; },
    // Run `hook` before every scan of the panes (after each change on screen).
    onScan: function (hook) { scanHooks.push(hook); },
  });

  page.listen(document.body, "htmx:beforeRequest", function (event) {
    var form = writeForm(event);
    if (form) { recordWrite(form); }
    countRequest(event.detail.elt);
  });
  // Plain (non-htmx) forms, as in read-your-writes: post, redirect, get.
  root.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-write-form]");
    if (form && !form.hasAttribute("hx-post")) { recordWrite(form); countRequest(form); state.landing = true; save(); }
  });
  root.addEventListener("click", function (event) {
    var retry = event.target.closest(".retry");
    var form = root.querySelector("[data-write-form]");
    if (!retry || !form) { return; }
    form.querySelector("input[type=text]").value = retry.dataset.retry;
    form.requestSubmit();
  });

  // Landing after a plain post: the page load is a read for both panes; is my write there?
  if (state.landing) {
    state.landing = false;
    PANES.forEach(function (p) { state.panes[p].requests += 1; });
    var key = state.lastKey, refused = root.querySelector("[data-write-form] [role=alert]");
    if (key && !refused) {
      PANES.forEach(function (p) { if (!findIn(pane(p), key)) { anomaly(p, "own write missing", key); } });
    }
    save();
  }

  PANES.forEach(function (p) {
    pane(p).querySelectorAll("[data-item-id]").forEach(function (item) { visible[p][item.dataset.itemId] = item; });
  });
  page.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"] }, scan);
  // The trick's own script (deferred, after this one) registers its hooks first.
  page.ready(scan);
  root.addEventListener("click", function (event) {
    if (event.target.closest("[data-reset-counters]")) {
      sessionStorage.removeItem(storageKey);
      location.reload();
    }
  });
})();
