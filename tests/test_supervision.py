"""The show goes on: a killed process comes back by itself, open pages recover without a reload,
and no accepted write is lost or applied twice."""

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from showcase.stack import ROOT, GaveUp, Stack, free_port
from tests.conftest import wait_until
from tests.live import start_live
from tests.test_demo_command import alive, children_of

IN_FLIGHT = 4

# Record every label the live dot shows, so a brief "recovered" can't slip past the test.
WATCH_DOT_JS = """
() => {
  window.__dot = [];
  const dot = document.querySelector('.conn');
  const note = () => { if (dot.textContent) window.__dot.push(dot.textContent); };
  new MutationObserver(note).observe(dot, {childList: true, characterData: true, subtree: true});
}
"""


# The supervisor on its own, with throwaway processes ------------------------------------------


def sleeper() -> list[str]:
    return [sys.executable, "-c", "import time; time.sleep(60)"]


def test_a_killed_child_is_started_again_with_the_same_command_and_recorded(tmp_path):
    stack = Stack(var_dir=tmp_path, log_dir=tmp_path / "log")
    first = stack.spawn("sleeper", sleeper())
    try:
        os.kill(first.pid, signal.SIGKILL)
        wait_until(lambda: (stack.check(), stack.procs["sleeper"] is not first)[1], what="a restart")
        again = stack.procs["sleeper"]
        assert again.args == first.args and again.poll() is None
        (entry,) = json.loads(stack.restarts_file.read_text())
        assert entry["process"] == "sleeper" and entry["exit"] == "SIGKILL" and entry["count"] == 1
    finally:
        stack.stop()
    assert again.poll() is not None


def test_the_supervisor_gives_up_after_repeated_fast_crashes_and_says_why(tmp_path):
    stack = Stack(var_dir=tmp_path, log_dir=tmp_path / "log", backoff_s=0.01)
    stack.spawn("flaky", [sys.executable, "-c", "print('boom: no such setting'); raise SystemExit(3)"])

    def gave_up() -> str | None:
        try:
            stack.check()
        except GaveUp as error:
            return str(error)
        return None

    try:
        reason = wait_until(gave_up, timeout=20, what="the supervisor to give up")
    finally:
        stack.stop()
    assert "flaky crashed 5 times in a row" in reason
    assert "exit code 3" in reason and "boom: no such setting" in reason
    assert [r["count"] for r in json.loads(stack.restarts_file.read_text())] == [1, 2, 3, 4]


def test_stopping_a_supervised_process_keeps_it_down(tmp_path):
    stack = Stack(var_dir=tmp_path, log_dir=tmp_path / "log")
    stack.spawn("sleeper", sleeper())
    stack.stop("sleeper", sig=signal.SIGKILL)
    stack.check()
    assert "sleeper" not in stack.procs and not stack.restarts


# The whole app, supervised, with two browser sessions open -------------------------------------


@pytest.fixture(scope="module")
def supervised(tmp_path_factory):
    app = start_live(tmp_path_factory.mktemp("supervised"), supervised=True)
    yield app
    app.stack.stop()


@pytest.fixture
def two_pages(browser, supervised):
    supervised.manage("seed", "--reset")
    supervised.lag(delay_ms=1500, jitter_ms=0, failure_rate=0, heal=True, no_reorder=True, replica_lag="slow=0")
    contexts = [browser.new_context() for _ in range(2)]
    pages = []
    for context in contexts:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(supervised.url + "/demos/push/")
        page.wait_for_selector("body.is-live")
        page.evaluate(WATCH_DOT_JS)
        pages.append(page)
    yield pages
    for context in contexts:
        context.close()


def write_in_flight(app) -> list[int]:
    """Writes accepted (202) but not applied yet: the lag holds them in the queue."""
    clients = [app.client() for _ in range(2)]
    return [clients[i % 2].write(f"in flight {uuid.uuid4().hex[:6]}", stream="push") for i in range(IN_FLIGHT)]


def texts_of(app, positions: list[int]) -> list[str]:
    marks = ",".join("?" * len(positions))
    sql = f"SELECT json_extract(payload, '$.text') FROM store_event WHERE id IN ({marks})"
    return [text for (text,) in app.query(sql, tuple(positions))]


def applied_exactly_once(app, positions: list[int]) -> bool:
    marks = ",".join("?" * len(positions))
    (replicas,) = app.query("SELECT count(*) FROM store_replica WHERE stream = ''")[0]  # not the CAP cluster
    rows = app.query(
        f"SELECT event_id, replica_id, count(*), sum(state = 'applied') FROM store_delivery "
        f"WHERE event_id IN ({marks}) GROUP BY event_id, replica_id",
        tuple(positions),
    )
    return len(rows) == len(positions) * replicas and all(n == 1 and done == 1 for _, _, n, done in rows)


def events_applied(app, positions: list[int]) -> bool:
    marks = ",".join("?" * len(positions))
    verdicts = app.query(f"SELECT verdict FROM store_event WHERE id IN ({marks})", tuple(positions))
    return len(verdicts) == len(positions) and all(v == "ok" for (v,) in verdicts)


def healthy(app) -> bool:
    try:
        return app.stack.healthy()
    except OSError:
        return False


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.parametrize("process", ["web", "worker", "redis"])
def test_a_killed_process_comes_back_and_open_pages_recover_without_reload(supervised, two_pages, process):
    writer, reader = two_pages
    positions = write_in_flight(supervised)
    texts = texts_of(supervised, positions)
    killed = supervised.stack.procs[process]
    os.kill(killed.pid, signal.SIGKILL)
    wait_until(lambda: supervised.stack.procs[process] is not killed, timeout=5, what=f"{process} to be restarted")
    wait_until(lambda: healthy(supervised), timeout=15, interval=0.2, what="/healthz to be 200 again")

    text = f"after {process} came back {uuid.uuid4().hex[:6]}"
    writer.fill("[data-write-form] input[type=text]", text)
    writer.click("[data-write-form] button")
    expect(reader.locator("#push-live [data-item-id]", has_text=text)).to_have_count(1, timeout=20_000)

    wait_until(lambda: events_applied(supervised, positions), timeout=30, what="the in-flight writes to be applied")
    # Every replica, the slower ones too (a doubled delivery never satisfies this).
    wait_until(lambda: applied_exactly_once(supervised, positions), timeout=60, what="each applied once everywhere")
    for page in (writer, reader):  # by a frame, or by the refetch a skipped number or a new epoch sets off
        for written in texts:
            expect(page.locator("#push-live [data-item-id]", has_text=written)).to_have_count(1, timeout=20_000)
    if process == "web":
        dot = reader.evaluate("window.__dot")
        assert "reconnecting…" in dot and "recovered" in dot[dot.index("reconnecting…") :]
        expect(reader.locator(".conn")).to_have_text("")  # "recovered" is brief
    assert supervised.stack.gave_up is None


@pytest.mark.integration
def test_the_curtain_shows_which_process_restarted_and_when(supervised):
    killed = supervised.stack.procs["sweeper"]
    killed_at = datetime.now(UTC)
    os.kill(killed.pid, signal.SIGKILL)
    wait_until(lambda: supervised.stack.procs["sweeper"] is not killed, timeout=5, what="the sweeper to be restarted")
    status, html = supervised.client().get("/curtain/")
    assert status == 200
    newest = re.search(r'data-restart="(\w+)"><strong>\w+</strong> restarted at\s*<time datetime="([^"]+)"', html)
    assert newest and newest.group(1) == "sweeper"
    assert datetime.fromisoformat(newest.group(2)) >= killed_at.replace(microsecond=0)


@pytest.mark.browser
@pytest.mark.integration
def test_an_open_curtain_lists_the_web_restart_once_it_has_reconnected(supervised, browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(supervised.url + "/curtain/")
        page.wait_for_selector("body.is-live")
        killed = supervised.stack.procs["web"]
        os.kill(killed.pid, signal.SIGKILL)
        expect(page.locator("#restarts [data-restart]").first).to_have_attribute("data-restart", "web", timeout=30_000)
    finally:
        context.close()


# `make demo` itself --------------------------------------------------------------------------


def child_named(launcher: int, needle: str) -> int:
    for pid in children_of(launcher):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                args = cmdline.read().split(b"\0")
            with open(f"/proc/{pid}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid == launcher and any(needle.encode() in a for a in args):
            return pid
    raise LookupError(needle)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.integration
def test_make_demo_restarts_each_killed_process_and_ctrl_c_still_leaves_none_behind(tmp_path):
    port = free_port()
    # No stage process: its Daphne would answer to the web's needle (tests/test_stage.py has its own).
    env = {**os.environ, "PORT": str(port), "STAGE_PORT": "0", "SHOWCASE_VAR_DIR": str(tmp_path)}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    output = tmp_path / "demo.log"
    with open(output, "w") as log:
        demo = subprocess.Popen(
            [sys.executable, "-m", "showcase.stack"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    healthz = f"http://127.0.0.1:{port}/healthz"
    seen: set[int] = set()
    try:
        wait_until(lambda: "Shell Game is up" in output.read_text(), timeout=90, what="make demo")
        for process, needle in [("web", "showcase.serve"), ("worker", "worker-"), ("redis", "-server")]:
            pid = wait_until(lambda n=needle: _try(child_named, demo.pid, n), timeout=10, what=process)
            seen |= children_of(demo.pid)
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda p=process: f"supervisor: {p} died (SIGKILL)" in output.read_text(), what="the log line")
            wait_until(lambda: http_ok(healthz), timeout=15, interval=0.2, what=f"/healthz after killing {process}")
        seen |= children_of(demo.pid)
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=30) == 0
        wait_until(lambda: not any(alive(pid) for pid in seen), timeout=15, what="every child to exit")
        restarted = [r["process"] for r in json.loads((tmp_path / "restarts.json").read_text())]
        assert restarted == ["web", "worker", "redis"]
    finally:
        if demo.poll() is None:
            demo.kill()


def _try(find, *args):
    try:
        return find(*args)
    except LookupError:
        return None
