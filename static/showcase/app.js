// Small page glue; htmx does the requests and swaps.
(function () {
  "use strict";
  // Show whether the live connection is up, so a stale page never pretends to be live.
  document.addEventListener("htmx:wsOpen", function () { document.body.classList.add("is-live"); });
  document.addEventListener("htmx:wsClose", function () { document.body.classList.remove("is-live"); });
  // After a write, keep typing: put the cursor back into the fresh form.
  document.addEventListener("htmx:afterSwap", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("[data-write-form]");
    var field = form && form.querySelector("input[type=text], textarea");
    if (field) { field.focus(); }
  });
})();
