// The presenter's keys: arrows (and a clicker's PageDown/PageUp) walk the demos, P presenter
// mode, R replays the page's scenario (scenario.js), E opens the explanation, B or . blacks the screen.
(function () {
  "use strict";
  var page = window.ShellGame.page;
  var typing = page.typing;

  // Presenter mode: large type, high contrast; remembered in the session.
  function togglePresenter() {
    var on = document.body.classList.toggle("presenter");
    var url = page.meta("presenter-url");
    if (url) { page.post(url, { on: on ? "1" : "0" }); }
  }

  var WALK = { ArrowRight: "next", PageDown: "next", ArrowLeft: "prev", PageUp: "prev" };
  var CLICKER = { PageDown: true, PageUp: true };

  function walk(direction) {
    var link = document.querySelector('link[rel="' + direction + '"]');
    if (link) { window.location.assign(link.href); }
  }

  function toggleExplanation() {
    var intro = document.querySelector("[data-explain]");
    if (!intro) { return; }
    var open = intro.classList.toggle("explain--open");
    var button = intro.querySelector("[data-explain-toggle]");
    if (button) {
      button.setAttribute("aria-expanded", String(open));
      button.firstChild.textContent = open ? "less " : "more ";
    }
  }

  function toggleBlackout() {
    var curtain = document.querySelector("[data-blackout]");
    if (curtain) {
      curtain.remove();
      return;
    }
    curtain = document.createElement("div");
    curtain.className = "blackout";
    curtain.dataset.blackout = "";
    curtain.setAttribute("aria-hidden", "true");
    document.body.appendChild(curtain);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) { return; }
    // A clicker works wherever the focus is, even in the write form: it only ever walks, and
    // it must never reach the form (a key press on a focused button would submit it).
    if (CLICKER[event.key]) {
      event.preventDefault();
      if (typing(event.target) || event.target.tagName === "BUTTON") { event.target.blur(); }
      walk(WALK[event.key]);
      return;
    }
    if (event.key === "Escape" && typing(event.target)) {
      event.target.blur();  // out of the field, so the keys below work again
      return;
    }
    if (typing(event.target)) { return; }
    if (document.querySelector("[data-blackout]")) {
      // While black, only the keys that end it do something; Escape ends it too.
      if (event.key === "b" || event.key === "B" || event.key === "." || event.key === "Escape") {
        event.preventDefault();
        toggleBlackout();
      }
      return;
    }
    if (WALK[event.key]) {
      event.preventDefault();
      walk(WALK[event.key]);
    } else if (event.key === "b" || event.key === "B" || event.key === ".") {
      event.preventDefault();
      toggleBlackout();
    } else if (event.key === "e" || event.key === "E") {
      event.preventDefault();
      toggleExplanation();
    } else if (event.key === "p" || event.key === "P") {
      event.preventDefault();
      togglePresenter();
    } else if ((event.key === "r" || event.key === "R") && window.ShellGame.hasScenario && window.ShellGame.hasScenario()) {
      event.preventDefault();
      window.ShellGame.runScenario();
    }
  });

  document.addEventListener("click", function (event) {
    if (!event.target.closest) { return; }
    if (event.target.closest("[data-scenario-run]")) {
      if (window.ShellGame.runScenario) { window.ShellGame.runScenario(); }
    } else if (event.target.closest("[data-explain-toggle]")) {
      toggleExplanation();
    } else if (event.target.closest("[data-blackout]")) {
      toggleBlackout();
    }
  });
})();
