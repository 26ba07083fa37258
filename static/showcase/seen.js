// "Seen": report settled items the first time this page renders them, over the page's socket
// (push/seen.py) or, without one, by beacon; it ends each lane of the timeline.
(function () {
  "use strict";
  var page = window.ShellGame.page;

  // The server keeps only the first report per item, so a page reporting what others saw
  // already costs one read. Hidden tabs report when they become visible.
  var reported = new Set();
  var pending = new Set();
  var flushQueued = false;

  function collect(root) {
    if (!root.querySelectorAll) { return; }
    var items = root.matches && root.matches("[data-item-id]") ? [root] : [];
    items = items.concat(Array.prototype.slice.call(root.querySelectorAll("[data-item-id]")));
    items.forEach(function (el) {
      // Only what the server rendered settled carries its token; what the page drew itself doesn't.
      var token = el.getAttribute("data-seen");
      if (token && !reported.has(token)) { pending.add(token); }
    });
    if (pending.size && !flushQueued) {
      flushQueued = true;
      // After the next frame: the items are on screen, not just in the DOM.
      requestAnimationFrame(function () { setTimeout(flush, 0); });
    }
  }

  // A page with a socket reports over it: what it renders before the socket first opens waits
  // for it (at most SOCKET_WAIT_MS, then the beacon).
  var SOCKET_WAIT_MS = 3000;
  var awaitingSocket = !!document.querySelector("[ws-connect]");
  function socketReady() {
    if (!awaitingSocket) { return; }
    awaitingSocket = false;
    if (pending.size) { flush(); }
  }
  document.addEventListener("htmx:wsOpen", socketReady);
  setTimeout(socketReady, SOCKET_WAIT_MS);

  function flush() {
    flushQueued = false;
    var url = page.meta("seen-url");
    if (!url || !pending.size || awaitingSocket) { return; }
    if (document.visibilityState === "hidden") { return; }
    var keys = Array.from(pending).slice(0, 100);
    keys.forEach(function (token) { pending.delete(token); reported.add(token); });
    // Over the page's socket when it is open (a frame, not a request: a room renders every
    // pushed write at once); else the beacon.
    if (!page.socketSend(JSON.stringify({ seen: keys }))) {
      var body = new FormData();
      body.append("csrfmiddlewaretoken", page.csrfToken());
      keys.forEach(function (token) { body.append("seen", token); });
      if (!(navigator.sendBeacon && navigator.sendBeacon(url, body))) {
        fetch(url, { method: "POST", body: body, credentials: "same-origin", keepalive: true });
      }
    }
    if (pending.size) { flush(); }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && pending.size) { flush(); }
  });

  function startSeen() {
    collect(document.body);
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        if (record.type === "attributes") {
          collect(record.target);
        } else {
          record.addedNodes.forEach(collect);
        }
      });
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state", "data-seen"] });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startSeen);
  } else {
    startSeen();
  }
})();
