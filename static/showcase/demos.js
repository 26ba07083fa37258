// The demo pages: the browser-side tricks, and per-pane counters of what each side cost and
// what went wrong on screen. Counters are taken from what was actually rendered.
(function () {
  "use strict";
  var root = document.querySelector("[data-demo]");
  if (!root) { return; }
  var slug = root.dataset.demo;
  var storageKey = "shell-game:" + slug;
  var PANES = ["naive", "trick"];
  var KEEP = 30;

  // sessionStorage: survives the read-your-writes redirect, and is per tab like a session.
  function load() {
    try { return JSON.parse(sessionStorage.getItem(storageKey)) || null; } catch (e) { return null; }
  }
  var state = load() || { own: {}, order: [], panes: {} };
  PANES.forEach(function (p) {
    state.panes[p] = state.panes[p] || { requests: 0, feedback: null, anomalies: {} };
  });
  function save() { sessionStorage.setItem(storageKey, JSON.stringify(state)); }

  function writeForm(event) {
    var elt = event.detail.elt;
    return elt.closest ? elt.closest("[data-write-form]") : null;
  }
  function pane(name) { return root.querySelector('[data-pane="' + name + '"]'); }
  function findIn(el, key) { return el && el.querySelector('[data-item-id="' + CSS.escape(key) + '"]'); }
  var visible = { naive: {}, trick: {} };

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
    reconcile();
    var trick = pane("trick"), naive = pane("naive");
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
      Object.keys(visible[p]).forEach(function (key) {
        if (!now[key]) { anomaly(p, "item vanished", key); }
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
    if (slug === "pending") {
      naive.querySelectorAll("[data-claims=done]").forEach(function (item) {
        var card = findIn(trick, item.dataset.itemId);
        if (card && card.dataset.state === "pending") { anomaly("naive", "said done while pending", item.dataset.itemId); }
      });
    }
    if (slug === "push") {
      trick.querySelectorAll("[data-item-id][data-state=confirmed]").forEach(function (item) {
        if (!findIn(naive, item.dataset.itemId)) { anomaly("naive", "stale: missing an applied item", item.dataset.itemId); }
      });
    }
    render();
  }

  // trick:optimistic
  // Draw the write the moment it is sent, before any answer: pending, keyed by its idempotency key.
  function drawAtClick(event, listId, markup) {
    var form = writeForm(event), list = document.getElementById(listId);
    if (!form || !list) { return null; }
    var key = form.querySelector("input[name=key]").value;
    var text = form.querySelector("input[type=text]").value.trim();
    if (!text || findIn(list, key)) { return null; }
    var item = document.createElement("li");
    item.dataset.itemId = key;
    item.dataset.state = "pending";
    item.innerHTML = markup;
    item.querySelector(".text").textContent = text;  // the user's text as text, never as HTML
    list.prepend(item);
    return item;
  }
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    drawAtClick(event, "opt-pending", '<span class="text"></span> <span class="state">pending…</span>');
  });
  // A refused write (bad input, rate limit) was never accepted: take the pending copy back.
  // (beforeSwap: the form is still on the page, about to be replaced by the answer.)
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var form = writeForm(event);
    var pendingList = document.getElementById("opt-pending");
    if (!form || !pendingList || event.detail.xhr.status === 202) { return; }
    var item = findIn(pendingList, form.querySelector("input[name=key]").value);
    if (item) { item.remove(); }
  });
  // The pending demo shows its card the moment you click, before the 202 says "received".
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var card = drawAtClick(event, "orders",
      '<span class="text"></span><ol class="steps"><li class="step step--now">sending…</li></ol>');
    if (card) { card.className = "order"; card.dataset.sending = ""; }
  });
  // The server's card (received → processing) takes the place of the one drawn at the click.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var form = writeForm(event);
    var orders = document.getElementById("orders");
    if (!form || !orders) { return; }
    orders.querySelectorAll("[data-sending]").forEach(function (card) { card.remove(); });
  });

  // The pushed list carries the item (confirmed, or rolled back with a reason): drop the pending copy.
  function reconcile() {
    var pendingList = document.getElementById("opt-pending");
    if (!pendingList) { return; }
    pendingList.querySelectorAll("[data-item-id]").forEach(function (item) {
      if (findIn(document.getElementById("opt-list"), item.dataset.itemId)) { item.remove(); }
    });
  }
  // end trick:optimistic

  document.body.addEventListener("htmx:beforeRequest", function (event) {
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
  new MutationObserver(scan).observe(root, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"],
  });
  scan();
  root.addEventListener("click", function (event) {
    if (event.target.closest("[data-reset-counters]")) {
      sessionStorage.removeItem(storageKey);
      location.reload();
    }
  });
})();
