// CAP, the browser half: one click writes to both sides; the CP side's answer waits for a
// majority (or a refusal); each side counts what it answered, refused and served stale.
(function () {
  "use strict";
  var G = window.ShellGame;
  if (!G || G.root.dataset.demo !== "cap") { return; }
  var KEY = "shell-game:cap-counters";
  var state = load();

  function load() {
    try { return JSON.parse(sessionStorage.getItem(KEY)) || fresh(); } catch (e) { return fresh(); }
  }
  function fresh() {
    var side = function () { return { answered: 0, refused: 0, stale: 0, converge: null, latency: null }; };
    return { seen: {}, cp: side(), ap: side(), healAt: null };
  }
  function save() { sessionStorage.setItem(KEY, JSON.stringify(state)); }
  function ms(value) { return value < 1000 ? value + " ms" : (value / 1000).toFixed(2) + " s"; }

  // trick:cap
  // One click, two systems: the form posts to AP (answers at once); CP gets the same write
  // and its own row, which waits until a majority has applied it or the cluster refuses.
  G.page.listen(document.body, "htmx:beforeRequest", function (event) {
    var form = G.writeForm(event), rows = document.getElementById("cp-answers");
    if (!form || !rows) { return; }
    var data = new FormData(form);
    var text = String(data.get("text") || "").trim(), key = String(data.get("key") || "");
    if (!text || document.getElementById("cp-w-" + key)) { return; }
    var row = document.createElement("li");
    row.id = "cp-w-" + key;
    row.className = "answer answer--waiting";
    row.innerHTML = '<span class="what"></span> <span class="spinner" aria-hidden="true"></span> waiting for a majority…';
    row.querySelector(".what").textContent = "write “" + text + "”:";  // text, never HTML
    rows.prepend(row);
    fetch(G.pane("cp").dataset.cpUrl, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": data.get("csrfmiddlewaretoken"), "HX-Request": "true" },
    }).then(function (response) { return response.text(); })
      .then(function (html) { htmx.swap(row, html, { swapStyle: "outerHTML" }); })
      .catch(function () { row.querySelector(".what").after(" no answer (network)"); });
  });
  // CP's refusal is an answer too (503): show it instead of dropping it as an error.
  G.page.listen(document.body, "htmx:beforeSwap", function (event) {
    if (G.root.contains(event.detail.elt) && event.detail.xhr.status === 503) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // end trick:cap

  // The partition switch (the lag badge) changed: both sides read again, so CP's refusal
  // and AP's staleness show up at once; after a heal, time how long until they agree again.
  var wasCut = partitioned();
  function partitioned() { return !!document.querySelector("#lag-badge.badge--paused"); }
  G.page.observe(document.querySelector("header.top") || document.body, { childList: true, subtree: true }, function () {
    var cut = partitioned();
    if (cut === wasCut) { return; }
    wasCut = cut;
    G.root.querySelector(".panes").dataset.partitioned = String(cut);
    if (!cut) {
      state.healAt = Date.now();
      state.cp.converge = state.ap.converge = null;
      save();
    }
    htmx.trigger(document.body, "cap:reread");
  });

  function count(answer) {
    var side = state[answer.closest("[data-pane]").dataset.pane];
    var id = answer.dataset.answer;
    if (!side || state.seen[id]) { return; }
    state.seen[id] = 1;
    var refused = answer.dataset.outcome === "refused";
    side[refused ? "refused" : "answered"] += 1;
    if (refused) { G.anomaly(answer.closest("[data-pane]").dataset.pane, "refused", id); }
    if (Number(answer.dataset.stale) > 0) {
      side.stale += 1;
      G.anomaly("ap", "stale read", id);
    }
    if (answer.dataset.op === "write" && !refused) { side.latency = Number(answer.dataset.ms); }
    if (state.healAt && !refused && side === state.cp && side.converge === null) {
      side.converge = Date.now() - state.healAt;
    }
  }

  G.onScan(function () {
    G.root.querySelectorAll("[data-answer]").forEach(count);
    var list = document.getElementById("ap-list");
    if (list) {
      var behind = G.root.querySelector("[data-cap-behind]");
      if (behind.textContent !== list.dataset.stale) { behind.textContent = list.dataset.stale; }
      if (state.healAt && list.dataset.stale === "0" && state.ap.converge === null && !partitioned()) {
        state.ap.converge = Date.now() - state.healAt;
      }
      // The replica has my write now: the node's own copy can go.
      document.querySelectorAll("#ap-own [data-item-id]").forEach(function (item) {
        if (G.findIn(list, item.dataset.itemId)) { item.remove(); }
      });
    }
    save();
    ["cp", "ap"].forEach(function (name) {
      var side = state[name], pane = G.pane(name), total = side.answered + side.refused;
      set(pane, "answered", side.answered);
      set(pane, "refused", side.refused);
      set(pane, "availability", total ? Math.round(100 * side.answered / total) + " %" : "—");
      set(pane, "stale", side.stale);
      set(pane, "converge", side.converge === null ? "—" : ms(side.converge));
    });
    var latency = G.root.querySelector("[data-cap-latency]");
    var text = state.cp.latency === null ? "—" : ms(state.cp.latency);
    if (latency.textContent !== text) { latency.textContent = text; }
  });

  function set(pane, name, value) {
    var el = pane.querySelector('[data-cap="' + name + '"]');
    if (el && el.textContent !== String(value)) { el.textContent = String(value); }
  }
})();
