// The presenter's scenario runner: set the page's scenario's lag through the control panel,
// then write each of its texts through the page's form (or run the page's own steps), and
// carry on after a plain form's reload. Started by R or the scenario bar (presenter.js).
(function () {
  "use strict";
  var page = window.ShellGame.page;
  var typing = page.typing;

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  var RESUME_KEY = "shell-game:scenario";
  var running = false;

  function pageScenario() {
    var el = document.getElementById("scenario-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  function status(text) {
    var el = document.querySelector("[data-scenario-status]");
    if (el) { el.textContent = text; }
  }

  function writeForm() {
    var form = document.querySelector("[data-write-form]");
    var field = form && form.querySelector("input[type=text], textarea");
    return form && field ? { form: form, field: field } : null;
  }

  // Resolves when htmx finished the form's request, or after `ms` if nothing reports back.
  function settled(form, ms) {
    return new Promise(function (resolve) {
      var timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        document.removeEventListener("htmx:afterRequest", onAfter);
        resolve();
      }
      function onAfter(event) {
        // After an outerHTML swap htmx reports on a parent; the request's own element is in requestConfig.
        var config = event.detail && event.detail.requestConfig;
        var elt = (config && config.elt) || (event.detail && event.detail.elt);
        if (elt && (elt === form || form.contains(elt))) { done(); }
      }
      document.addEventListener("htmx:afterRequest", onAfter);
    });
  }

  async function writeTexts(scenario, from) {
    for (var i = from; i < scenario.texts.length; i++) {
      var target = writeForm();
      if (!target) { status("This page has no write form."); return; }
      status("Writing " + (i + 1) + " of " + scenario.texts.length + ": " + scenario.texts[i]);
      // Kept until the write settles: a plain (non-htmx) form reloads the page, and the
      // next page carries on from here.
      sessionStorage.setItem(RESUME_KEY, JSON.stringify({
        scenario: scenario, next: i + 1, at: Date.now(), action: target.form.action
      }));
      target.field.value = scenario.texts[i];
      target.field.dispatchEvent(new Event("input", { bubbles: true }));
      var done = settled(target.form, 5000);
      target.form.requestSubmit();
      await done;
      if (i + 1 < scenario.texts.length) { await sleep(scenario.pause_ms); }
    }
    sessionStorage.removeItem(RESUME_KEY);
    // Writing left the cursor in the form; give the keys back to the presenter.
    if (typing(document.activeElement)) { document.activeElement.blur(); }
    status("Done. Press R to replay.");
  }

  async function runScenario(scenario) {
    if (running || !scenario) { return; }
    running = true;
    try {
      var bar = document.querySelector("[data-presenter-bar]");
      status("Setting the lag…");
      // Named, so the scenario's writes are recorded as a run of their own (/runs/).
      var response = await page.post(bar.dataset.lagUrl, Object.assign({ scenario: scenario.slug }, scenario.lag));
      if (response.headers.get("HX-Redirect")) {
        status("Log in as staff to run scenarios.");
        return;
      }
      if (!response.ok) {
        status("The control panel refused this scenario's lag (" + response.status + ").");
        return;
      }
      // A page whose scenario is a race, not a sequence of texts, runs its own steps.
      var own = window.ShellGame && window.ShellGame.scenario;
      if (own) { await own(scenario, status); } else { await writeTexts(scenario, 0); }
    } catch (error) {
      status("Scenario stopped: " + error.message);
    } finally {
      running = false;
    }
  }

  function resumeScenario() {
    var saved = sessionStorage.getItem(RESUME_KEY);
    if (!saved) { return; }
    sessionStorage.removeItem(RESUME_KEY);
    var state = JSON.parse(saved);
    var target = writeForm();
    // Only the same form, just reloaded by its own plain POST: never another demo's.
    if (target && target.form.action === state.action && Date.now() - state.at < 15000 &&
        state.next < state.scenario.texts.length) {
      running = true;
      sleep(state.scenario.pause_ms)
        .then(function () { return writeTexts(state.scenario, state.next); })
        .finally(function () { running = false; });
    }
  }

  window.ShellGame.runScenario = function () { return runScenario(pageScenario()); };
  window.ShellGame.hasScenario = function () { return !!pageScenario(); };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", resumeScenario);
  } else {
    resumeScenario();
  }
})();
