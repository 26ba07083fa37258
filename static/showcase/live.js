// Live lists: each applied write arrives alone over the WebSocket (a few hundred bytes), and
// is put in its place here: one copy per item, newest position first, at most `data-limit`
// items. Frames are numbered per stream; a number that skips means a frame was missed, and
// the list is fetched again and merged, as when the numbers start again in a new epoch.
(function () {
  "use strict";
  function items(list) { return Array.prototype.slice.call(list.querySelectorAll(":scope > [data-item-id]")); }

  // One copy per item (the first, i.e. the newest to arrive), sorted, trimmed.
  function settle(list) {
    var seen = {};
    var kept = items(list).filter(function (item) {
      if (seen[item.dataset.itemId]) { item.remove(); return false; }
      seen[item.dataset.itemId] = true;
      return true;
    });
    kept.sort(function (a, b) { return Number(b.dataset.position) - Number(a.dataset.position); });
    var limit = Number(list.dataset.limit) || kept.length;
    kept.forEach(function (item, i) {
      if (i >= limit) { item.remove(); } else if (list.children[i] !== item) { list.insertBefore(item, list.children[i]); }
    });
    var empty = list.querySelector(":scope > .empty");
    if (empty && kept.length) { empty.remove(); }
  }

  function marker(list) { return document.getElementById("live-seq-" + list.dataset.liveList); }

  function refetch(list) {
    fetch(list.dataset.liveUrl, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : "";
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live-list]");
      if (!fresh) { return; }
      // Merge, never replace: frames that arrived meanwhile are newer than this answer.
      items(fresh).forEach(function (item) { list.prepend(document.importNode(item, true)); });
      settle(list);
    });
  }

  // Before htmx connects (it does on DOMContentLoaded): wide screens also follow the timeline,
  // a big picture that phones in the audience do without.
  var live = document.getElementById("live"), timeline = document.querySelector("[data-timeline-group]");
  if (live && timeline && window.matchMedia("(min-width: 700px)").matches) {
    live.setAttribute("ws-connect", live.getAttribute("ws-connect") + "&g=" + timeline.dataset.timelineGroup);
  }

  document.addEventListener("htmx:oobAfterSwap", function (event) {
    // The event fires on the socket's element; the swap's target says which list it was. After
    // an outerHTML swap (a snapshot) that target is the old list: take the one now on the page.
    var target = event.detail && event.detail.target;
    var list = target && target.id ? document.getElementById(target.id) : null;
    if (!list || !list.matches("[data-live-list]")) { return; }
    var mark = marker(list);
    var frames = items(list).filter(function (item) { return item.dataset.seq; });
    frames.forEach(function (item) {
      var seq = Number(item.dataset.seq), known = mark ? Number(mark.dataset.liveSeq) : NaN;
      var epoch = item.dataset.epoch;
      delete item.dataset.seq;
      delete item.dataset.epoch;
      if (!mark || isNaN(known)) { return; }
      if (epoch !== mark.dataset.liveEpoch) {  // Redis counts again from 1: what came between is unknown
        mark.dataset.liveEpoch = epoch;
        mark.dataset.liveSeq = String(seq);
        refetch(list);
        return;
      }
      if (seq <= known) { return; }
      mark.dataset.liveSeq = String(seq);
      if (seq > known + 1) { refetch(list); }
    });
    settle(list);
  });
})();
