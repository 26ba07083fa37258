"""Real parts for the tests: one Redis for the session, and on demand the whole app
(Daphne, Celery worker, sweeper) as subprocesses on free ports, plus Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
import time
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

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with sqlite3.connect(self.db_path, timeout=20) as db:
            return db.execute(sql, params).fetchall()

    def dump_logs(self) -> str:
        out = []
        for path in sorted((self.stack.log_dir or Path()).glob("*.log")):
            out.append(f"--- {path.name} ---\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(out)


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

    def open_page(path: str = "/", width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
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
