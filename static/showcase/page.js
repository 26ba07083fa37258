// What our page scripts share (as ShellGame.page): the CSRF token, a page's meta values, a POST
// the server answers like an htmx request, whether the user is typing in a field, and the life
// of a page's own scripts.
(function () {
  "use strict";
  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.content : null;
  }

  function post(url, fields) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (name) { body.append(name, String(fields[name])); });
    // HX-Request: the control panel answers like it answers htmx (a fragment, or HX-Redirect to log in).
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" }
    });
  }

  // The page's live socket (htmx's ws extension), while it is open: small reports go over it
  // instead of a request each (seen.js).
  var socket = null;
  document.addEventListener("htmx:wsOpen", function (event) { socket = event.detail.socketWrapper; });
  document.addEventListener("htmx:wsClose", function () { socket = null; });
  function socketSend(text) {
    if (!socket) { return false; }
    try { socket.send(text); } catch (error) { return false; }
    return true;
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  // A page's own scripts (counters.js, a demo's trick) live as long as its <main>: a phone that
  // follows the projector gets the next demo's main swapped in, its socket kept (follow.js).
  // What they hook outside their main (document, body, timers, observers) goes through these,
  // and is undone when the main is swapped away; what they hook inside it goes with it.
  var generation = 0;
  var undo = [];
  function onLeave(fn) { undo.push(fn); }
  function listen(target, type, handler) {
    target.addEventListener(type, handler);
    onLeave(function () { target.removeEventListener(type, handler); });
  }
  // A timeout that does nothing once its page is gone (a reader's next read, a retry).
  function later(fn, ms) {
    var mine = generation;
    return setTimeout(function () { if (mine === generation) { fn(); } }, ms);
  }
  function every(fn, ms) {
    var timer = setInterval(fn, ms);
    onLeave(function () { clearInterval(timer); });
    return timer;
  }
  function observe(target, options, fn) {
    var observer = new MutationObserver(fn);
    observer.observe(target, options);
    onLeave(function () { observer.disconnect(); });
    return observer;
  }
  // Once the page's scripts have all run: DOMContentLoaded on a loaded page, "shell:page" on a
  // swapped one.
  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      listen(document, "shell:page", fn);
    }
  }
  function leave() {
    generation += 1;
    document.dispatchEvent(new CustomEvent("shell:leave"));
    var undoing = undo;
    undo = [];
    undoing.forEach(function (fn) {
      try { fn(); } catch (error) { /* one page script's leftovers must not keep the others */ }
    });
  }

  window.ShellGame = window.ShellGame || {};
  window.ShellGame.page = {
    csrfToken: csrfToken, meta: meta, post: post, typing: typing, socketSend: socketSend,
    listen: listen, later: later, every: every, observe: observe, ready: ready, leave: leave,
  };
})();
