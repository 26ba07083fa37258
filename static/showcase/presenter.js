// Conference mode in the browser: keys for the presenter, the scenario runner, the control
// panel's slider read-outs, and the "seen" beacon that ends each lane of the timeline.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.content : null;
  }

  function post(url, fields) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (name) { body.append(name, String(fields[name])); });
    // HX-Request: the control panel answers like it answers htmx (a fragment, or HX-Redirect to log in).
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" }
    });
  }

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // ---- Presenter mode: large type, high contrast; remembered in the session.
  function togglePresenter() {
    var on = document.body.classList.toggle("presenter");
    var url = meta("presenter-url");
    if (url) { post(url, { on: on ? "1" : "0" }); }
  }

  // ---- Scenarios: set the lag through the control panel, then write through the page's form.
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
      var response = await post(bar.dataset.lagUrl, Object.assign({ scenario: scenario.slug }, scenario.lag));
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

  // ---- Keys: arrows (and a clicker's PageDown/PageUp) walk the demos, P presenter mode,
  // R replays the page's scenario, E opens the explanation, B or . blacks the screen.
  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
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
    } else if ((event.key === "r" || event.key === "R") && pageScenario()) {
      event.preventDefault();
      runScenario(pageScenario());
    }
  });

  document.addEventListener("click", function (event) {
    if (!event.target.closest) { return; }
    if (event.target.closest("[data-scenario-run]")) {
      runScenario(pageScenario());
    } else if (event.target.closest("[data-explain-toggle]")) {
      toggleExplanation();
    } else if (event.target.closest("[data-blackout]")) {
      toggleBlackout();
    }
  });

  // ---- Control panel: show a slider's value while it moves (the server renders it after).
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

  // ---- Control panel: a lag change made elsewhere arrives as #control-refresh; fetch the panel
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

  // ---- "Seen": report settled items the first time this page renders them.
  // The server keeps only the first report per item, so a page reporting what others saw
  // already costs one read. Hidden tabs report when they become visible.
  var reported = new Set();
  var pending = new Set();
  var flushQueued = false;

  function collect(root) {
    if (!root.querySelectorAll) { return; }
    var items = root.matches && root.matches("[data-item-id]") ? [root] : [];
    items = items.concat(Array.prototype.slice.call(root.querySelectorAll("[data-item-id]")));
    items.forEach(function (el) {
      // Only what the server rendered settled carries its token; what the page drew itself doesn't.
      var token = el.getAttribute("data-seen");
      if (token && !reported.has(token)) { pending.add(token); }
    });
    if (pending.size && !flushQueued) {
      flushQueued = true;
      // After the next frame: the items are on screen, not just in the DOM.
      requestAnimationFrame(function () { setTimeout(flush, 0); });
    }
  }

  function flush() {
    flushQueued = false;
    var url = meta("seen-url");
    if (!url || !pending.size) { return; }
    if (document.visibilityState === "hidden") { return; }
    var keys = Array.from(pending).slice(0, 100);
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrfToken());
    keys.forEach(function (token) { body.append("seen", token); pending.delete(token); reported.add(token); });
    if (!(navigator.sendBeacon && navigator.sendBeacon(url, body))) {
      fetch(url, { method: "POST", body: body, credentials: "same-origin", keepalive: true });
    }
    if (pending.size) { flush(); }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && pending.size) { flush(); }
  });

  function startSeen() {
    collect(document.body);
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        if (record.type === "attributes") {
          collect(record.target);
        } else {
          record.addedNodes.forEach(collect);
        }
      });
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state", "data-seen"] });
  }

  function start() {
    startSeen();
    resumeScenario();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
