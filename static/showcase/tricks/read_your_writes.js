// Read your writes: switching the strategy reloads the page with it (no inline handler).
(function () {
  "use strict";
  var form = document.querySelector("form.strategy");
  if (form) { form.addEventListener("change", function () { form.submit(); }); }
})();
