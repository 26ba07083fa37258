// Patched regions (push/patch.py): a page gets a region whole once, on connect, and after that
// only what changed: the items a list did not have, the new order of the ones it keeps, any
// other element whose own markup changed, and the attributes of one whose start tag alone did.
// A patch applies only to the drawing it was computed from; anything else (a frame missed, an
// answer that redrew a list in between, numbers of another epoch) and the page fetches the
// region whole again. Changes are made in one go, so the panes' counters (counters.js) only
// ever see a drawing the server made.
// A live list (push/regions.py live_item) is a region too, patched one item at a time: each
// settled write arrives alone, numbered in its stream, and is put in its place, one copy per
// item, newest position first, at most `data-limit` items. A number that skips, or one of
// another epoch, and the region is fetched whole again and merged with what the page has
// (never replacing it: items that arrived meanwhile are newer than the answer).
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.dataset.regionUrl;
  var current = {};  // region -> number of the drawing on the page
  var currentEpoch = {};  // region -> the epoch of that number (push/patch.py)
  var newest = {};  // region -> highest number a patch has announced
  var newestEpoch = {};
  var fetching = {};
  var again = {};  // region -> asked for again while a fetch was on its way
  var itemSeq = new WeakMap();  // a live list's item -> the number (and epoch) it came with

  // The server's checksum of a list's keys (push/patch.py checksum): FNV-1a over code points.
  function checksum(keys) {
    var value = 0x811c9dc5;
    keys.forEach(function (key) {
      for (var char of key + "\n") { value = Math.imul(value ^ char.codePointAt(0), 0x01000193) >>> 0; }
    });
    return ("0000000" + value.toString(16)).slice(-8);
  }
  // A list's items: an <ol>'s or <ul>'s <li>s, any other keyed list's children (push/patch.py).
  function items(list) {
    var lists = list.tagName === "OL" || list.tagName === "UL";
    return Array.prototype.filter.call(list.children, function (el) { return !lists || el.tagName === "LI"; });
  }
  function keys(list) { return items(list).map(function (li) { return li.dataset.itemId || li.dataset.key || ""; }); }

  // A live list: one copy per item (the first, i.e. the newest to arrive), sorted, trimmed.
  function liveItems(list) { return Array.prototype.slice.call(list.querySelectorAll(":scope > [data-item-id]")); }
  function settle(list) {
    var seen = {};
    var kept = liveItems(list).filter(function (item) {
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
  function insert(frame) {
    var list = document.getElementById(frame.dataset.list);
    if (!list) { return; }
    Array.prototype.slice.call(frame.content.children).forEach(function (li) {
      var fresh = document.importNode(li, true);
      itemSeq.set(fresh, { seq: Number(frame.dataset.seq), epoch: frame.dataset.epoch });
      list.prepend(fresh);
      if (window.htmx) { window.htmx.process(fresh); }
    });
    settle(list);
  }
  // The list fetched whole (`fresh`, drawing `seq` of `epoch`) into the one on the page: an
  // item the page got pushed after that drawing stays as it is, any other is the answer's.
  function merge(list, fresh, seq, epoch) {
    var shown = {};
    liveItems(list).forEach(function (li) { shown[li.dataset.itemId] = li; });
    liveItems(fresh).forEach(function (li) {
      var mine = shown[li.dataset.itemId], pushed = mine && itemSeq.get(mine);
      if (pushed && pushed.epoch === epoch && pushed.seq > seq) { return; }
      if (mine) { mine.remove(); }
      var item = document.importNode(li, true);
      list.prepend(item);
      if (window.htmx) { window.htmx.process(item); }
    });
    settle(list);
  }

  function adopt(el) {
    el.removeAttribute("hx-swap-oob");
    return el;
  }
  // What a part carries: SVG travels wrapped in an <svg>, so that it parses as SVG.
  function contents(part) {
    var children = Array.prototype.slice.call(part.content.children);
    var wrap = children.length === 1 && children[0].hasAttribute("data-wrap");
    return wrap ? Array.prototype.slice.call(children[0].children) : children;
  }
  // A page may show only part of a region (the whole skips what it has no place for): an
  // element not on the page is left out here too.
  function replace(el) {
    var old = el.id && document.getElementById(el.id);
    if (!old) { return; }
    var fresh = adopt(document.importNode(el, true));
    old.replaceWith(fresh);
    if (window.htmx) { window.htmx.process(fresh); }
  }
  // The attributes of `shell` on `el`, all of them and only them (its id stays).
  function attributes(el, shell) {
    Array.prototype.slice.call(el.attributes).forEach(function (attr) {
      if (attr.name !== "id" && !shell.hasAttribute(attr.name)) { el.removeAttribute(attr.name); }
    });
    Array.prototype.slice.call(adopt(shell).attributes).forEach(function (attr) {
      if (el.getAttribute(attr.name) !== attr.value) { el.setAttribute(attr.name, attr.value); }
    });
  }
  function reattribute(shell) {
    var el = shell.id && document.getElementById(shell.id);
    if (el) { attributes(el, shell); }
  }

  // One list: keep what the order says, in that order, with the new items in their places.
  // False if the list on the page is not the one the patch starts from.
  function patchList(part) {
    var list = document.getElementById(part.dataset.list);
    if (!list || checksum(keys(list)) !== part.dataset.from) { return false; }
    var old = items(list), incoming = contents(part);
    var shell = incoming.shift(), next = [];
    var ok = part.dataset.order.split(" ").filter(Boolean).every(function (token) {
      var li = token === "n" ? incoming.shift() : old[Number(token)];
      if (!li) { return false; }
      next.push(token === "n" ? document.importNode(li, true) : li);
      return true;
    });
    if (!ok) { return false; }
    attributes(list, shell);
    list.replaceChildren.apply(list, next);
    next.forEach(function (li) { if (window.htmx && !old.includes(li)) { window.htmx.process(li); } });
    return checksum(keys(list)) === part.dataset.to;
  }

  function apply(frame, fetched) {
    var region = frame.dataset.patch, seq = Number(frame.dataset.seq), epoch = frame.dataset.epoch;
    if (epoch !== newestEpoch[region]) {  // Redis counts again from 1: numbers seen before mean nothing
      newestEpoch[region] = epoch;
      newest[region] = 0;
    }
    if (frame.dataset.insert !== undefined) { inserted(frame, region, seq, epoch); return; }
    if (frame.dataset.base === undefined) {  // the region whole
      var merged = false;
      Array.prototype.slice.call(frame.content.children).forEach(function (el) {
        var old = fetched && el.id && document.getElementById(el.id);
        if (old && old.matches("[data-live-list]")) { merge(old, el, seq, epoch); merged = true; } else { replace(el); }
      });
      var kept = merged && currentEpoch[region] === epoch && current[region] > seq;  // items newer than it stay
      if (!kept) { current[region] = seq; }
      currentEpoch[region] = epoch;
      if (fetched) { newest[region] = kept ? Math.max(seq, current[region]) : seq; } else if (seq < (newest[region] || 0)) { refetch(region); }
      return;
    }
    newest[region] = Math.max(newest[region] || 0, seq);
    if (current[region] === undefined) { return; }  // its snapshot is on the way
    if (epoch !== currentEpoch[region]) { refetch(region); return; }  // the page's drawing is from another epoch
    if (seq <= current[region]) { return; }  // it has it
    if (Number(frame.dataset.base) !== current[region]) { refetch(region); return; }
    var ok = true;
    Array.prototype.forEach.call(frame.content.children, function (part) {
      if (part.dataset.list !== undefined) {
        ok = patchList(part) && ok;
      } else if (part.dataset.replace !== undefined) {
        contents(part).forEach(replace);
      } else if (part.dataset.attrs !== undefined) {
        contents(part).forEach(reattribute);
      }
    });
    current[region] = seq;
    if (!ok) { refetch(region); }
  }

  // A live list's item: in its place at once; then its number says whether one was missed.
  function inserted(frame, region, seq, epoch) {
    insert(frame);
    newest[region] = Math.max(newest[region] || 0, seq);
    var known = current[region];
    if (known === undefined) { return; }  // the list whole is on its way
    if (epoch !== currentEpoch[region]) {  // Redis counts again from 1: what came between is unknown
      current[region] = seq;
      currentEpoch[region] = epoch;
      refetch(region);
      return;
    }
    if (seq <= known) { return; }
    current[region] = seq;
    if (seq > known + 1) { refetch(region); }
  }

  function refetch(region) {
    if (!url) { return; }
    if (fetching[region]) { again[region] = true; return; }  // the answer on its way may predate the gap
    fetching[region] = true;
    fetch(url.replace("REGION", encodeURIComponent(region)), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { var frame = parse(html); if (frame) { apply(frame, true); } })
      .catch(function () {})
      .then(function () {
        fetching[region] = false;
        if (again[region]) { again[region] = false; refetch(region); }
      });
  }

  function parse(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var frame = template.content.firstElementChild;
    return frame && frame.tagName === "TEMPLATE" && frame.dataset.patch ? frame : null;
  }

  // Before htmx connects (it does on DOMContentLoaded): on a demo page, wide screens also follow
  // the timeline, a big picture that phones in the audience do without.
  function wideGroups(root) {
    var timeline = root.querySelector("[data-timeline-group]");
    return timeline && window.matchMedia("(min-width: 700px)").matches ? "&g=" + timeline.dataset.timelineGroup : "";
  }
  window.ShellGame.page.wideGroups = wideGroups;  // a page swapped in asks for them too (follow.js)
  var live = document.getElementById("live");
  if (live) { live.setAttribute("ws-connect", live.getAttribute("ws-connect") + wideGroups(document)); }

  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    var message = event.detail.message;
    if (typeof message !== "string" || message.lastIndexOf("<template data-patch=", 0) !== 0) { return; }
    event.preventDefault();  // ours, not htmx's: it is applied here, all in one go
    var frame = parse(message);
    if (frame) { apply(frame, false); }
  });
})();
