// "Seen": report settled items the first time this page renders them; it ends each lane of
// the timeline.
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

  function flush() {
    flushQueued = false;
    var url = page.meta("seen-url");
    if (!url || !pending.size) { return; }
    if (document.visibilityState === "hidden") { return; }
    var keys = Array.from(pending).slice(0, 100);
    var body = new FormData();
    body.append("csrfmiddlewaretoken", page.csrfToken());
    keys.forEach(function (token) { body.append("seen", token); pending.delete(token); reported.add(token); });
    if (!(navigator.sendBeacon && navigator.sendBeacon(url, body))) {
      fetch(url, { method: "POST", body: body, credentials: "same-origin", keepalive: true });
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
