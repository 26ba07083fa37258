// Follow the presenter. The projector (staff, presenter mode) announces each page it shows; a
// phone that joined through /join/ listens on the socket's "follow" group and goes where the
// projector went. A page of the talk (the index, the curtain, a demo's) comes pushed, rendered
// once for the room (push/follow.py): the phone swaps its main for the new one and keeps its
// socket, which moves to the new page's groups. Any other page it loads, after a random pause of
// its own: a room of phones spreads its page loads over JITTER_MS instead of asking for the page
// all in one moment. "leave" stops it.
(function () {
  "use strict";
  var JITTER_MS = 800;
  var SWAP_JITTER_MS = 250;  // a swap costs the server a frame, not a page: barely spread
  var PAGE_FRAME = "<!--follow-page ";  // push/follow.py PAGE_FRAME
  var TOKEN_MARK = "\u0000csrf\u0000";  // conference/page_cache.py: where the page's CSRF token goes
  var KEEP_CLASSES = ["is-live", "is-reconnecting", "is-recovered", "presenter"];  // this tab's state
  var live = document.getElementById("live");
  var bar = document.querySelector("[data-follow-bar]");
  var lead = document.querySelector("[data-follow-lead]");
  var moving = null;
  var pushed = null;  // { path, html }: the last page pushed
  var going = null;  // the path this phone is on its way to (or at)

  var page = window.ShellGame.page;  // page.js

  // Before htmx connects (on DOMContentLoaded): a following page also asks for the group.
  if (bar && live) { live.setAttribute("ws-connect", live.getAttribute("ws-connect") + "&g=follow"); }

  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    var message = event.detail.message;
    if (typeof message !== "string" || message.lastIndexOf(PAGE_FRAME, 0) !== 0) { return; }
    event.preventDefault();  // ours, not htmx's: swapped in when the marker says so
    var end = message.indexOf("-->");
    var head = message.slice(PAGE_FRAME.length, end), space = head.indexOf(" ");
    // The path, then the groups' counts the page was rendered at (push/sent.py), for the socket:
    // without them, it gets every snapshot.
    var drawn = {};
    try { drawn = space < 0 ? {} : JSON.parse(head.slice(space + 1)); } catch (e) { drawn = {}; }
    pushed = { path: space < 0 ? head : head.slice(0, space), drawn: drawn, html: message.slice(end + 3) };
  });

  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail && event.detail.target;
    var at = document.getElementById("follow-at");
    if (!target || target.id !== "follow-at" || !at || !document.querySelector("[data-follow-bar]")) { return; }
    var path = at.dataset.followPath;
    if (path === going) { return; }  // told twice: htmx reports an oob swap on each element it settles
    clearTimeout(moving);
    going = path;
    if (path && path !== window.location.pathname) {
      document.body.dataset.followGoing = path;  // on its way, after its pause
      var swappable = function () { return pushed && pushed.path === path ? pushed : null; };
      // A page that comes during the pause is swapped in all the same.
      moving = setTimeout(function () {
        var page = swappable();
        if (!(page && swap(path, page.html, page.drawn))) { window.location.assign(path); }
      }, Math.random() * (swappable() ? SWAP_JITTER_MS : JITTER_MS));
    }
  });

  // Fresh idempotency keys for the swapped page's forms, as conference/page_cache.py gives each
  // phone its own (the same key in two places stays one key).
  function freshKeys(root) {
    var fresh = {};
    root.querySelectorAll('input[name="key"]').forEach(function (input) {
      if (!fresh[input.value]) {
        var bytes = crypto.getRandomValues(new Uint8Array(16));
        fresh[input.value] = Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
      }
      input.value = fresh[input.value];
    });
  }

  // The groups of a socket URL ("/ws/live/?g=lag&g=demo.push"), to ask the open socket for.
  function groupsOf(url) {
    return new URLSearchParams(url.split("?")[1] || "").getAll("g");
  }

  // The pushed page in place of this one, socket kept: its main, title, styles and scripts.
  // `drawn`: the groups' counts it was rendered at, so the socket sends only what it lacks.
  function swap(path, html, drawn) {
    var doc = new DOMParser().parseFromString(html.split(TOKEN_MARK).join(page.csrfToken()), "text/html");
    var main = document.querySelector("#live > main"), next = doc.querySelector("#live > main");
    var nextLive = doc.getElementById("live");
    if (!live || !main || !next || !nextLive) { return false; }
    var scripts = Array.from(next.querySelectorAll("script[src]"), function (s) { return s.getAttribute("src"); });
    next.querySelectorAll("script").forEach(function (s) { s.remove(); });
    freshKeys(next);
    page.leave();  // the old page's scripts let go of what they hooked
    doc.querySelectorAll('head link[rel="stylesheet"]').forEach(function (link) {
      var href = link.getAttribute("href");
      var have = Array.prototype.some.call(document.querySelectorAll('link[rel="stylesheet"]'), function (l) {
        return l.getAttribute("href") === href;
      });
      if (!have) { document.head.appendChild(document.importNode(link, true)); }
    });
    document.title = doc.title;
    var kept = KEEP_CLASSES.filter(function (c) { return document.body.classList.contains(c); });
    document.body.className = doc.body.className;
    kept.forEach(function (c) { document.body.classList.add(c); });
    // htmx's own swap: it lets go of the old main's triggers and processes the new one.
    window.htmx.swap(main, next.outerHTML, { swapStyle: "outerHTML", swapDelay: 0, settleDelay: 0 });
    var fresh = document.querySelector("#live > main");
    window.history.replaceState(null, "", path);
    window.scrollTo(0, 0);
    delete document.body.dataset.followGoing;
    // The socket's groups are the new page's: asked now, and on any reconnect (app.js).
    var url = nextLive.getAttribute("ws-connect") + "&g=follow" + page.wideGroups(fresh);
    live.setAttribute("ws-connect", url);
    page.socketSend(JSON.stringify({ groups: groupsOf(url), drawn: drawn }));
    run(scripts, fresh);
    return true;
  }

  // The page's own scripts, in order, as a page load runs them; then "shell:page" (page.ready).
  function run(scripts, where) {
    if (!scripts.length) {
      document.dispatchEvent(new CustomEvent("shell:page"));
      return;
    }
    var script = document.createElement("script");
    script.src = scripts[0];
    script.onload = script.onerror = function () { run(scripts.slice(1), where); };
    where.appendChild(script);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-follow-leave]");
    var current = document.querySelector("[data-follow-bar]");
    if (!button || !current) { return; }
    clearTimeout(moving);
    going = null;
    delete document.body.dataset.followGoing;
    page.post(current.dataset.leaveUrl, {});
    current.remove();
  });

  // The projector: announce this page whenever it is (or becomes) in presenter mode.
  if (lead) {
    var announced = false;
    var announce = function () {
      var on = document.body.classList.contains("presenter");
      if (on && !announced) { page.post(lead.dataset.followLead, { path: window.location.pathname }); }
      announced = on;
    };
    announce();
    new MutationObserver(announce).observe(document.body, { attributes: true, attributeFilter: ["class"] });
  }
})();
