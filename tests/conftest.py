"""Real parts for the tests: one Redis for the session, and on demand the whole app
(Daphne, Celery worker, sweeper) as subprocesses on free ports, plus Debian's Chromium."""

from __future__ import annotations

import http.cookiejar
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from showcase.stack import Stack, free_port

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


class LiveApp:
    """The app running as subprocesses, with helpers to look at and steer it from a test."""

    def __init__(self, stack: Stack, db_path: Path):
        self.stack = stack
        self.db_path = db_path

    @property
    def url(self) -> str:
        return self.stack.url

    def manage(self, *args: str) -> str:
        return self.stack.manage(*args)

    def lag(self, **options) -> None:
        """Change the lag settings the way a presenter would from a shell."""
        args = []
        for name, value in options.items():
            flag = "--" + name.replace("_", "-")
            if value is True:
                args.append(flag)
            elif value is not False and value is not None:
                args += [flag, str(value)]
        self.manage("lag", *args)

    def client(self) -> HttpClient:
        return HttpClient(self.url)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with sqlite3.connect(self.db_path, timeout=20) as db:
            return db.execute(sql, params).fetchall()

    def dump_logs(self) -> str:
        out = []
        for path in sorted((self.stack.log_dir or Path()).glob("*.log")):
            out.append(f"--- {path.name} ---\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(out)


class HttpClient:
    """A cookie-keeping HTTP client for plain (non-browser) requests to the live app."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def csrf(self) -> str:
        token = next((c.value for c in self.jar if c.name == "csrftoken"), None)
        if token is None:
            self.get("/curtain/")
            token = next(c.value for c in self.jar if c.name == "csrftoken")
        return token

    def post(self, path: str, data: dict, headers: dict | None = None) -> tuple[int, dict, str]:
        request = urllib.request.Request(
            self.base + path,
            data=urllib.parse.urlencode(data).encode(),
            headers={"X-CSRFToken": self.csrf(), "HX-Request": "true", **(headers or {})},
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def write(self, text: str, stream: str = "curtain", key: str | None = None) -> int:
        """Write through the real endpoint; return the event's position."""
        status, headers, body = self.post(f"/write/{stream}/", {"text": text, "key": key or uuid.uuid4().hex})
        assert status == 202, body
        return int(headers["X-Event-Position"])


@pytest.fixture(scope="session")
def live(redis_server, tmp_path_factory):
    """Daphne, a Celery worker and the sweeper on a fresh SQLite database."""
    root = tmp_path_factory.mktemp("live")
    db_path = root / "db.sqlite3"
    stack = Stack(
        port=free_port(),
        redis_url=redis_server,
        database_url=f"sqlite:///{db_path}",
        var_dir=root,
        log_dir=root / "log",
        extra_env={"SWEEP_GRACE_MS": "1500", "SWEEP_EVERY_S": "0.5", "DEBUG": "0"},
    )
    app = LiveApp(stack, db_path)
    try:
        stack.start()
        from showcase.stack import wait_for

        wait_for(stack.healthy, 30, "/healthz")
    except Exception:
        print(app.dump_logs(), file=sys.stderr)
        stack.stop()
        raise
    yield app
    stack.stop()


@pytest.fixture
def fresh(live):
    """Empty log, no lag: each test sets the lag it needs."""
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
        if setup:
            setup(page)
        page.goto(live.url + path)
        page.wait_for_selector("body.is-live")
        return page

    yield open_page
    failed = getattr(request.node, "rep_call", None) and request.node.rep_call.failed
    for i, context in enumerate(contexts):
        if failed:
            artifacts.mkdir(parents=True, exist_ok=True)
            for j, page in enumerate(context.pages):
                page.screenshot(path=str(artifacts / f"{request.node.name}-{i}-{j}.png"))
        context.close()
    if failed:
        print(live.dump_logs(), file=sys.stderr)


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
