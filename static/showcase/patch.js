// Patched regions (push/patch.py): a page gets a region whole once, on connect, and after that
// only what changed: the items a list did not have, the new order of the ones it keeps, any
// other element whose own markup changed, and the attributes of one whose start tag alone did.
// A patch applies only to the drawing it was computed from; anything else (a frame missed, an
// answer that redrew a list in between, numbers of another epoch) and the page fetches the
// region whole again. Changes are made in one go, so the panes' counters (counters.js) only
// ever see a drawing the server made.
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.dataset.regionUrl;
  var current = {};  // region -> number of the drawing on the page
  var currentEpoch = {};  // region -> the epoch of that number (push/patch.py)
  var newest = {};  // region -> highest number a patch has announced
  var newestEpoch = {};
  var fetching = {};

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
    if (frame.dataset.base === undefined) {  // the region whole
      Array.prototype.forEach.call(frame.content.children, replace);
      current[region] = seq;
      currentEpoch[region] = epoch;
      if (fetched) { newest[region] = seq; } else if (seq < (newest[region] || 0)) { refetch(region); }
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

  function refetch(region) {
    if (fetching[region] || !url) { return; }
    fetching[region] = true;
    fetch(url.replace("REGION", encodeURIComponent(region)), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { var frame = parse(html); if (frame) { apply(frame, true); } })
      .catch(function () {})
      .then(function () { fetching[region] = false; });
  }

  function parse(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var frame = template.content.firstElementChild;
    return frame && frame.tagName === "TEMPLATE" && frame.dataset.patch ? frame : null;
  }

  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    var message = event.detail.message;
    if (typeof message !== "string" || message.lastIndexOf("<template data-patch=", 0) !== 0) { return; }
    event.preventDefault();  // ours, not htmx's: it is applied here, all in one go
    var frame = parse(message);
    if (frame) { apply(frame, false); }
  });
})();
