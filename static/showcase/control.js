// The control panel (/control/ alone loads this): slider read-outs, and a refresh when the lag
// changed elsewhere.
(function () {
  "use strict";
  // Show a slider's value while it moves (the server renders it after).
  function formatValue(input) {
    var value = Number(input.value);
    if (input.dataset.unit === "rate") { return Math.round(value * 100) + " %"; }
    return value < 1000 ? value + " ms" : (value / 1000) + " s";
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input.type !== "range" || !input.id) { return; }
    var output = document.querySelector('[data-output-for="' + input.id + '"]');
    if (output) { output.textContent = formatValue(input); }
  });

  // A lag change made elsewhere arrives as #control-refresh; fetch the panel
  // again unless it already shows those settings, has a post in flight, or a slider is held.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "control-refresh") { return; }
    var refresh = document.getElementById("control-refresh");
    var panel = document.getElementById("control-panel");
    if (!refresh || !panel || !window.htmx) { return; }
    if (panel.dataset.lagState === refresh.dataset.lagState) { return; }
    if (panel.querySelector(".htmx-request, input:active") || panel.classList.contains("htmx-request")) { return; }
    window.htmx.ajax("GET", refresh.dataset.url, { target: "#control-panel", swap: "outerHTML" });
  });
})();
