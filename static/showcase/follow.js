// Follow the presenter. The projector (staff, presenter mode) announces each page it shows; a
// phone that joined through /join/ listens on the socket's "follow" group and goes where the
// projector went, after a random pause of its own: a room of phones spreads its page loads
// over JITTER_MS instead of asking for the page all in one moment. "leave" stops it.
(function () {
  "use strict";
  var JITTER_MS = 800;
  var live = document.getElementById("live");
  var bar = document.querySelector("[data-follow-bar]");
  var lead = document.querySelector("[data-follow-lead]");
  var moving = null;

  var post = window.ShellGame.page.post;  // page.js

  // Before htmx connects (on DOMContentLoaded): a following page also asks for the group.
  if (bar && live) { live.setAttribute("ws-connect", live.getAttribute("ws-connect") + "&g=follow"); }

  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail && event.detail.target;
    var at = document.getElementById("follow-at");
    if (!target || target.id !== "follow-at" || !at || !document.querySelector("[data-follow-bar]")) { return; }
    var path = at.dataset.followPath;
    clearTimeout(moving);
    if (path && path !== window.location.pathname) {
      document.body.dataset.followGoing = path;  // on its way, after its pause
      moving = setTimeout(function () { window.location.assign(path); }, Math.random() * JITTER_MS);
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-follow-leave]");
    var current = document.querySelector("[data-follow-bar]");
    if (!button || !current) { return; }
    clearTimeout(moving);
    delete document.body.dataset.followGoing;
    post(current.dataset.leaveUrl, {});
    current.remove();
  });

  // The projector: announce this page whenever it is (or becomes) in presenter mode.
  if (lead) {
    var announced = false;
    var announce = function () {
      var on = document.body.classList.contains("presenter");
      if (on && !announced) { post(lead.dataset.followLead, { path: window.location.pathname }); }
      announced = on;
    };
    announce();
    new MutationObserver(announce).observe(document.body, { attributes: true, attributeFilter: ["class"] });
  }
})();
