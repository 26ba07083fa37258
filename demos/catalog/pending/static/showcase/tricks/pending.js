// Explicit pending state, the browser half: a card the moment you click; the anomaly the
// naive "Done!" commits.
(function () {
  "use strict";
  var G = window.ShellGame;
  if (!G) { return; }

  // trick:pending
  // The card shows the moment you click, before the 202 says "received".
  G.page.listen(document.body, "htmx:beforeRequest", function (event) {
    var form = G.writeForm(event), orders = document.getElementById("orders");
    if (!form || !orders) { return; }
    var key = form.querySelector("input[name=key]").value;
    var text = form.querySelector("input[type=text]").value.trim();
    if (!text || G.findIn(orders, key)) { return; }
    var card = document.createElement("li");
    card.className = "order";
    card.dataset.itemId = key;
    card.dataset.state = "pending";
    card.dataset.sending = "";
    card.innerHTML = '<span class="text"></span><ol class="steps"><li class="step step--now">sending…</li></ol>';
    card.querySelector(".text").textContent = text;  // the user's text as text, never as HTML
    orders.prepend(card);
  });
  // The server's card (received → processing) takes the place of the one drawn at the click.
  G.page.listen(document.body, "htmx:beforeSwap", function (event) {
    var orders = document.getElementById("orders");
    if (!G.writeForm(event) || !orders) { return; }
    orders.querySelectorAll("[data-sending]").forEach(function (card) { card.remove(); });
  });
  // At lag 0 the final order can be pushed before the 202 reaches the page. Swapping the form
  // away mid-request would cost the 202 its swaps (htmx looks them up from the request's form),
  // so the pushed card and fresh form wait until the form's own answer is on screen.
  var held = [];
  G.page.listen(document.body, "htmx:wsBeforeMessage", function (event) {
    var form = document.querySelector("#order-form [data-write-form]");
    if (!form || !form.classList.contains("htmx-request")) { return; }
    if (event.detail.message.indexOf('id="order-form"') < 0) { return; }
    event.preventDefault();
    held.push(event.detail.message);
  });
  G.page.listen(document.body, "htmx:afterRequest", function (event) {
    if (!G.writeForm(event) || !held.length) { return; }
    var messages = held;
    held = [];
    messages.forEach(function (html) { window.htmx.swap(document.body, html, { swapStyle: "none" }); });
  });
  // end trick:pending

  // The naive side said "Done!" while the order is still pending: that is the lie to count.
  G.onScan(function () {
    G.pane("naive").querySelectorAll("[data-claims=done]").forEach(function (item) {
      var card = G.findIn(G.pane("trick"), item.dataset.itemId);
      if (card && card.dataset.state === "pending") { G.anomaly("naive", "said done while pending", item.dataset.itemId); }
    });
  });
})();
