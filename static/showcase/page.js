// What our page scripts share (as ShellGame.page): the CSRF token, a page's meta values, a POST
// the server answers like an htmx request, and whether the user is typing in a field.
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

  window.ShellGame = window.ShellGame || {};
  window.ShellGame.page = { csrfToken: csrfToken, meta: meta, post: post, typing: typing, socketSend: socketSend };
})();
