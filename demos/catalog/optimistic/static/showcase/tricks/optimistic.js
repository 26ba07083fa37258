// Optimistic UI, the browser half: the write is on screen before the server has answered.
(function () {
  "use strict";
  var G = window.ShellGame;
  if (!G) { return; }

  // trick:optimistic
  // Draw the write the moment it is sent, before any answer: pending, keyed by its idempotency key.
  G.page.listen(document.body, "htmx:beforeRequest", function (event) {
    var form = G.writeForm(event), list = document.getElementById("opt-pending");
    if (!form || !list) { return; }
    var key = form.querySelector("input[name=key]").value;
    var text = form.querySelector("input[type=text]").value.trim();
    if (!text || G.findIn(list, key)) { return; }
    var item = document.createElement("li");
    item.dataset.itemId = key;
    item.dataset.state = "pending";
    item.innerHTML = '<span class="text"></span> <span class="state">pending…</span>';
    item.querySelector(".text").textContent = text;  // the user's text as text, never as HTML
    list.prepend(item);
  });
  // A refused write (bad input, rate limit) was never accepted: take the pending copy back.
  // (beforeSwap: the form is still on the page, about to be replaced by the answer.)
  G.page.listen(document.body, "htmx:beforeSwap", function (event) {
    var form = G.writeForm(event), list = document.getElementById("opt-pending");
    if (!form || !list || event.detail.xhr.status === 202) { return; }
    var item = G.findIn(list, form.querySelector("input[name=key]").value);
    if (item) { item.remove(); }
  });
  // The pushed list carries the item (confirmed, or rolled back with a reason): drop the pending copy.
  G.onScan(function () {
    var list = document.getElementById("opt-pending");
    if (!list) { return; }
    list.querySelectorAll("[data-item-id]").forEach(function (item) {
      if (G.findIn(document.getElementById("opt-list"), item.dataset.itemId)) { item.remove(); }
    });
  });
  // end trick:optimistic
})();
