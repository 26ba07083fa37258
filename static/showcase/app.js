// Small page glue; htmx does the requests and swaps.
(function () {
  "use strict";
  // Close codes the htmx ws extension itself retries on; after any other close it gives up.
  var RETRIED_BY_HTMX = [1006, 1011, 1012, 1013];
  var RECOVERED_FOR_MS = 3000;
  var wasLive = false;
  var ownRetries = 0;
  var recoveredTimer = null;

  // Retry soon and often: a restarted server is back in seconds, not the minute the default
  // full jitter can reach. Still jittered, so a room of phones does not reconnect in one burst.
  // The projector retries ten times as often and a phone waits PHONE_FLOOR_MS before each try:
  // a restarted server takes the projector's socket before the room queues up behind it.
  var PRESENTER = document.body && document.body.classList.contains("presenter");
  var PHONE_FLOOR_MS = 1000;
  function reconnectDelay(retryCount) {
    if (PRESENTER) { return Math.min(500, 50 * Math.pow(2, retryCount)) * Math.random(); }
    return PHONE_FLOOR_MS + Math.min(5000, 500 * Math.pow(2, retryCount)) * Math.random();
  }
  if (window.htmx) {
    htmx.config.wsReconnectDelay = reconnectDelay;
    // A phone following the projector keeps its socket across demos (follow.js): a reconnect asks
    // for the groups of the page on screen now, not of the page it was opened on.
    htmx.createWebSocket = function (url) {
      var live = document.getElementById("live"), now = live && live.getAttribute("ws-connect");
      var socket = new WebSocket(now ? new URL(now, url).href : url, []);
      socket.binaryType = htmx.config.wsBinaryType;
      return socket;
    };
  }

  // The live dot says what the presenter needs to know: live, reconnecting, or just recovered.
  function showConnection(state) {
    var body = document.body;
    var dot = document.querySelector(".conn");
    body.classList.toggle("is-live", state === "live" || state === "recovered");
    body.classList.toggle("is-reconnecting", state === "reconnecting");
    body.classList.toggle("is-recovered", state === "recovered");
    if (dot) {
      dot.textContent = state === "reconnecting" ? "reconnecting…" : state === "recovered" ? "recovered" : "";
      dot.title = state === "reconnecting" ? "connection lost, reconnecting" : "live connection";
    }
  }

  document.addEventListener("htmx:wsOpen", function () {
    ownRetries = 0;
    clearTimeout(recoveredTimer);
    if (wasLive && document.body.classList.contains("is-reconnecting")) {
      showConnection("recovered");
      // Parts of a page that only change on a restart (the curtain's restart list) refetch now.
      document.body.dispatchEvent(new CustomEvent("shell:recovered", { bubbles: true }));
      recoveredTimer = setTimeout(function () { showConnection("live"); }, RECOVERED_FOR_MS);
    } else {
      showConnection("live");
    }
    wasLive = true;
  });

  document.addEventListener("htmx:wsClose", function (event) {
    clearTimeout(recoveredTimer);
    showConnection(wasLive ? "reconnecting" : "down");
    var closed = event.detail.event;
    var socket = event.detail.socketWrapper;
    // A server going away cleanly (1001) or any other code would leave the page dead for good.
    if (socket && closed && RETRIED_BY_HTMX.indexOf(closed.code) < 0 && document.body.contains(event.target)) {
      setTimeout(function () { socket.reconnect(); }, reconnectDelay(ownRetries++));
    }
  });

  // After a write, keep typing: put the cursor back into the fresh form. A write the server
  // had no turn for (429 with data-retry-after: nothing written, same key) goes again by itself,
  // after its Retry-After with jitter, so a room tapping at once does not come back at once.
  document.addEventListener("htmx:afterSwap", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("[data-write-form]");
    if (form && form.dataset.retryAfter) {
      setTimeout(function () { if (form.isConnected) { form.requestSubmit(); } },
        Number(form.dataset.retryAfter) * 1000 * (0.5 + Math.random()));
    }
    var field = form && form.querySelector("input[type=text], textarea");
    if (field) { field.focus(); }
  });
})();
