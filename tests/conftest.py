"""Real parts for the tests: one Redis for the session, and on demand the whole app
(Daphne, Celery worker, sweeper) as subprocesses on free ports, plus Debian's Chromium."""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

from showcase.stack import Stack
from tests.live import start_live

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() == "true"


def wait_until(condition, timeout: float = 10, interval: float = 0.05, what: str = "condition"):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def staff_login(live, username: str) -> str:
    """A staff login on the live app; its password goes through stdin, as `make demo` does."""
    password = secrets.token_urlsafe(12)
    live.stack.manage("ensure_admin", "--username", username, stdin=password + "\n")
    return password


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real Redis-compatible server for the whole session; Django's layer and Celery use it."""
    stack = Stack(log_dir=tmp_path_factory.mktemp("redis-log"))
    stack.start_redis()
    from channels.layers import channel_layers
    from django.conf import settings

    from showcase.celery import app

    settings.REDIS_URL = stack.redis_url
    settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [stack.redis_url]
    channel_layers.backends.clear()
    app.conf.broker_url = stack.redis_url
    yield stack.redis_url
    stack.stop()


@pytest.fixture(autouse=True)
def _redis_for_unit_tests(request):
    """Every test talks to the real Redis; none to whatever the settings default to."""
    request.getfixturevalue("redis_server")


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    """Daphne, a Celery worker and the sweeper on a fresh SQLite database, with a Redis of
    their own: tasks and pushes of the unit tests must never reach this app's worker or pages."""
    app = start_live(tmp_path_factory.mktemp("live"))
    yield app
    app.stack.stop()


@pytest.fixture
def fresh(live):
    """Empty log, no lag, no projector for phones to follow: each test sets what it needs."""
    import redis

    from push import follow

    # A page that joined through /join/ goes where the projector is (push/follow.py): a test that
    # left a presenter page on a demo would otherwise carry the next test's phones away.
    redis.Redis.from_url(live.stack.redis_url).delete(follow.KEY)
    live.manage("seed", "--reset")
    live.lag(delay_ms=0, jitter_ms=0, failure_rate=0, heal=True, no_reorder=True, replica_lag="slow=0")
    return live


@pytest.fixture(scope="session")
def browser():
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        message = f"NO CHROMIUM at {CHROMIUM}: browser tests cannot run (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        print(f"\n\n!!!!!! {message} — SKIPPING BROWSER TESTS !!!!!!\n", file=sys.stderr)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live, request):
    """Open a page in a new browser session (its own cookies); screenshots on failure."""
    contexts = []
    artifacts = Path(os.environ.get("TEST_ARTIFACTS", tempfile.gettempdir())) / "shell-game-tests"

    def open_page(path: str = "/", width: int = 1280, height: int = 900, setup=None):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        # A strict CSP blocks quietly: a refused script or style shows up only in the console.
        page.on(
            "console",
            lambda message: page.errors.append(message.text) if "Content Security Policy" in message.text else None,
        )
        if setup:
            setup(page)
        page.goto(live.url + path)
        page.wait_for_selector("body.is-live")
        return page

    yield open_page
    failed = getattr(request.node, "rep_call", None) and request.node.rep_call.failed
    errors = [error for context in contexts for page in context.pages for error in getattr(page, "errors", [])]
    for i, context in enumerate(contexts):
        if failed:
            artifacts.mkdir(parents=True, exist_ok=True)
            for j, page in enumerate(context.pages):
                page.screenshot(path=str(artifacts / f"{request.node.name}-{i}-{j}.png"))
        context.close()
    if failed:
        print(live.dump_logs(), file=sys.stderr)
    elif errors:
        pytest.fail(f"errors in the page: {errors}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


WATCH_JS = """
() => {
  // Record, in page time, when each rendered write first shows up in each state and place.
  window.__marks = window.__marks || {};
  // The moment the click reaches the page, so feedback is timed from the click itself.
  document.addEventListener('click', () => { window.__clickAt = Date.now(); }, true);
  const scan = () => {
    for (const el of document.querySelectorAll('[data-item-id]')) {
      const place = el.closest('[id]');
      const mark = (place ? place.id : '') + '|' + el.dataset.itemId + '|' + el.dataset.state;
      if (!(mark in window.__marks)) window.__marks[mark] = Date.now();
    }
  };
  scan();
  new MutationObserver(scan).observe(document.body, {subtree: true, childList: true, attributes: true,
    attributeFilter: ['data-state']});
}
"""


def watch_items(page) -> None:
    """Start recording when items appear (see `item_seen_at`)."""
    page.evaluate(WATCH_JS)


def click_at(page) -> float:
    """Epoch ms of the last click the page received (needs `watch_items`)."""
    return page.evaluate("window.__clickAt")


def now_ms(page) -> float:
    """The page's clock (epoch ms), comparable with times the app stored."""
    return page.evaluate("Date.now()")


def item_seen_at(page, place: str, text: str, state: str) -> float | None:
    """Epoch ms at which an item with `text` first showed in `state` inside #place."""
    return page.evaluate(
        """([place, text, state]) => {
          // The item may have left `place` since (a pending copy replaced by the confirmed one).
          for (const el of document.querySelectorAll('[data-item-id]')) {
            if (el.textContent.includes(text)) {
              const t = window.__marks[place + '|' + el.dataset.itemId + '|' + state];
              if (t !== undefined) return t;
            }
          }
          return null;
        }""",
        [place, text, state],
    )
