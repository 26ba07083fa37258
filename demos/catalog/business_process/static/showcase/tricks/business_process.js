// Change the process, the browser half: one click checks out twice — the naive side waits on
// the whole chain, the trick side is answered at once; each counts what the customer waited.
(function () {
  "use strict";
  var G = window.ShellGame;
  if (!G || G.root.dataset.demo !== "business-process") { return; }
  var KEY = "shell-game:bp-counters";
  var state = JSON.parse(sessionStorage.getItem(KEY) || "null") || { naive: null, trick: null, doubt: 0 };
  var clickedAt = {};

  function save() { sessionStorage.setItem(KEY, JSON.stringify(state)); render(); }
  function ms(value) { return value < 1000 ? value + " ms" : (value / 1000).toFixed(2) + " s"; }
  function render() {
    ["naive", "trick"].forEach(function (name) {
      var pane = G.pane(name);
      pane.querySelector('[data-bp="wait"]').textContent = state[name] === null ? "—" : ms(state[name]);
      pane.querySelector('[data-bp="doubt"]').textContent = name === "naive" ? String(state.doubt) : "0";
    });
  }

  // trick:checkout
  // The trick's answer is the form's own request (202 at once). The naive checkout gets the
  // same order and holds the customer until payment, stock and shipping are all done.
  G.page.listen(document.body, "htmx:beforeRequest", function (event) {
    var form = G.writeForm(event), list = document.getElementById("naive-orders");
    if (!form || !list) { return; }
    var data = new FormData(form), key = String(data.get("key"));
    if (!String(data.get("text") || "").trim() || document.getElementById("naive-wait-" + key)) { return; }
    var started = clickedAt[key] = Date.now();
    var row = document.createElement("li");
    row.id = "naive-wait-" + key;
    row.className = "busy";
    row.setAttribute("role", "status");
    row.innerHTML = '<span class="spinner" aria-hidden="true"></span> Processing your order… <span data-elapsed></span>';
    list.prepend(row);
    var tick = setInterval(function () {
      row.querySelector("[data-elapsed]").textContent = ms(Date.now() - started);
    }, 100);
    fetch(G.pane("naive").querySelector("[data-naive-url]").dataset.naiveUrl, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": data.get("csrfmiddlewaretoken"), "HX-Request": "true" },
    }).then(function (response) { return response.text(); })
      .then(function (html) {
        clearInterval(tick);
        htmx.swap(row, html, { swapStyle: "outerHTML" });
        state.naive = Date.now() - started;
        if (document.querySelector('#naive-orders [data-doubt][data-item-id="' + CSS.escape(key) + '"]')) { state.doubt += 1; }
        save();
      });
  });
  G.page.listen(document.body, "htmx:afterRequest", function (event) {
    // After the form's outerHTML swap htmx reports on a parent: the form is in requestConfig.
    var config = event.detail.requestConfig, elt = (config && config.elt) || event.detail.elt;
    var form = elt.closest && elt.closest("[data-write-form]"), key = config && config.formData.get("key");
    if (form && clickedAt[key] && event.detail.xhr.status === 202) {
      state.trick = Date.now() - clickedAt[key];
      delete clickedAt[key];
      save();
    }
  });
  // end trick:checkout

  // The naive side told the customer nothing they can trust: count each order left in doubt.
  G.onScan(function () {
    G.pane("naive").querySelectorAll("[data-doubt]").forEach(function (item) {
      G.anomaly("naive", "in doubt", item.dataset.itemId);
    });
    G.pane("trick").querySelectorAll("[data-undone]").forEach(function (step) {
      G.anomaly("trick", "compensated", step.closest("[data-item-id]").dataset.itemId);
    });
  });
  render();
})();
