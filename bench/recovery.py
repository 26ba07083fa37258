"""How long the show stops when a process is killed: for web, worker and the embedded Redis,
the time from `kill -9` to a healthy /healthz, and to the first write made after the kill
showing up on a page that stayed open (pushed, or caught up by the page's reconnect snapshot).

    .venv/bin/python -m bench.recovery [rounds]

/healthz itself takes about a second (it pings the worker), which the first figure includes.
"""

import os
import signal
import sys
import threading
import time
import uuid

from playwright.sync_api import sync_playwright

from bench.common import running_app, summary
from showcase.stack import FAST_CRASH_S
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, watch_items

PROCESSES = ("web", "worker", "redis")
WRITE_EVERY_S = 0.5
# The sweeper as `make demo` runs it, not the tests' hurried one: what a presenter would see.
DEMO_APP = {"SWEEP_GRACE_MS": "10000", "SWEEP_EVERY_S": "2", "RATELIMIT_WRITES": "100000"}
GIVE_UP_S = 60

FIRST_SEEN_JS = """(prefix) => {
  let first = null;
  for (const el of document.querySelectorAll('#push-live [data-item-id]')) {
    if (!el.textContent.includes(prefix)) continue;
    for (const [mark, t] of Object.entries(window.__marks)) {
      if (mark.startsWith('push-live|' + el.dataset.itemId + '|') && (first === null || t < first)) first = t;
    }
  }
  return first;
}"""


def time_to_healthy(app, killed_at: float, result: dict) -> None:
    while time.time() - killed_at < GIVE_UP_S:
        try:
            if app.stack.healthy():
                result["healthy"] = (time.time() - killed_at) * 1000
                return
        except OSError:
            pass
        time.sleep(0.05)


def backlog(app) -> int:
    return app.query("SELECT count(*) FROM store_delivery WHERE state = 'queued'")[0][0]


def one_kill(app, page, process: str) -> tuple[float | None, float | None]:
    """Kill `process`; keep writing until a post-kill write shows on the open page."""
    while app.stack.uptime(process) < FAST_CRASH_S or backlog(app):  # start from a quiet app:
        time.sleep(0.2)  # a quicker kill would count as a crash loop, a backlog would be measured
    prefix = f"probe {uuid.uuid4().hex[:6]}"
    client = app.client()
    client.csrf()
    result: dict[str, float] = {}
    killed_at = time.time()
    os.kill(app.stack.procs[process].pid, signal.SIGKILL)
    health = threading.Thread(target=time_to_healthy, args=(app, killed_at, result))
    health.start()
    seen = None
    n = 0
    while seen is None and time.time() - killed_at < GIVE_UP_S:
        try:
            client.write(f"{prefix} {n}", stream="push")
            n += 1
        except (OSError, AssertionError, KeyError):
            pass  # the web process is down or not ready: the presenter's audience would retry too
        page.wait_for_timeout(WRITE_EVERY_S * 1000)
        seen = page.evaluate(FIRST_SEEN_JS, prefix)
    health.join()
    return result.get("healthy"), (seen - killed_at * 1000 if seen else None)


def main(rounds: int = 3) -> None:
    with running_app(supervised=True, **DEMO_APP) as app, sync_playwright() as playwright:
        app.lag(delay_ms=0, jitter_ms=0, failure_rate=0, heal=True, replica_lag="slow=0")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context().new_page()
        page.goto(f"{app.url}/demos/push/")
        page.wait_for_selector("body.is-live")
        watch_items(page)
        healthy: dict[str, list[float]] = {p: [] for p in PROCESSES}
        pushed: dict[str, list[float]] = {p: [] for p in PROCESSES}
        for _ in range(rounds):
            for process in PROCESSES:
                to_healthy, to_push = one_kill(app, page, process)
                if to_healthy is not None:
                    healthy[process].append(to_healthy)
                if to_push is not None:
                    pushed[process].append(to_push)
        browser.close()
        print(f"recovery after kill -9, {rounds} rounds (one open page on /demos/push/, lag 0)")
        for process in PROCESSES:
            print(f"  {process:6} kill → /healthz 200:        {summary(healthy[process])}")
            missed = rounds - len(pushed[process])
            print(
                f"  {process:6} kill → first push on a page: {summary(pushed[process])}"
                + (f" · none within {GIVE_UP_S} s in {missed} of {rounds}" if missed else "")
            )
        if app.stack.gave_up:
            print(f"  supervisor gave up: {app.stack.gave_up}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
