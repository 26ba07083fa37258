// Conflicts, the browser half: count what went wrong on screen, and run the scripted race.
// The tricks themselves are on the server: a decision in the append's transaction, a version check.
(function () {
  "use strict";
  var G = window.ShellGame;
  if (!G) { return; }

  // The naive shop's apologies and the naive note's lost edits are the anomalies; a trick
  // shop that sold more than its stock would be one too (it never does).
  G.onScan(function () {
    ["naive", "trick"].forEach(function (p) {
      var pane = G.pane(p);
      pane.querySelectorAll("[data-oversold]").forEach(function (order) {
        G.anomaly(p, "oversold", order.dataset.itemId);
      });
      pane.querySelectorAll("[data-lost]").forEach(function (edit) {
        G.anomaly(p, "lost update", edit.dataset.itemId);
      });
    });
  });

  // An answer and a push can cross on the way: keep the newer drawing of each region, so
  // nothing on screen steps back in time (and no item vanishes to come back a moment later).
  G.page.listen(document.body, "htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target, fragment = event.detail.fragment;
    var incoming = fragment && fragment.querySelector && fragment.querySelector("[data-as-of]");
    if (!target || !incoming || !target.dataset.asOf) { return; }
    if (BigInt(incoming.dataset.asOf) < BigInt(target.dataset.asOf)) { event.detail.shouldSwap = false; }
  });

  function afterRequest(elt) {
    return new Promise(function (resolve) {
      function done(event) {
        var config = event.detail && event.detail.requestConfig;
        var source = (config && config.elt) || event.detail.elt;
        if (source === elt || elt.contains(source)) {
          document.removeEventListener("htmx:afterRequest", done);
          resolve();
        }
      }
      document.addEventListener("htmx:afterRequest", done);
    });
  }

  function submit(form) {
    var sent = afterRequest(form);
    form.requestSubmit();
    return sent;
  }

  // Resolves once the naive shop's replica has the restock: only then is "3 left" true there.
  function restocked() {
    return new Promise(function (resolve) {
      var timer = setInterval(function () {
        var shop = document.getElementById("shop-naive");
        if (shop && !shop.hasAttribute("data-restocking")) { clearInterval(timer); resolve(); }
      }, 100);
    });
  }

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // The presenter's scenario (scenario.js calls this after setting the lag): restock, then
  // every buyer at once, then two editors at once. The race is fired on the server, in
  // threads released together, so it happens every time.
  G.scenario = async function (scenario, status) {
    status("Restocking…");
    var restock = G.root.querySelector("[data-restock]");
    var sent = afterRequest(restock);
    restock.click();
    await sent;
    await restocked();
    status("Buyers at once: " + scenario.texts[0]);
    var buy = G.root.querySelector("[data-write-form]");
    buy.querySelector("input[type=text]").value = scenario.texts[0];
    await submit(buy);
    await sleep(scenario.pause_ms);
    status("Two editors save at once");
    var race = G.root.querySelector("[data-race-form]");
    var fields = race.querySelectorAll("[data-race-text]");
    fields[0].value = scenario.texts[1];
    fields[1].value = scenario.texts[2];
    await submit(race);
    status("Done. Press R to replay.");
  };
})();
