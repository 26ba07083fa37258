"""The fault suite: break a part of the running app in the middle of a burst of real writes
(several sessions, through the HTTP write path), then count. Every write answered 202 is applied
exactly once on every replica, none is lost, none doubled, nothing is applied that was not
accepted, and ordered replicas apply in log order.

Bounded for CI (200 writes a burst); FAULTS_LONG=1 runs the long variants (1,000 writes).
FAULTS_REPORT=<file> appends each test's figures as one JSON line: bench/faults.py prints them.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import sqlite3
import threading
import time
import urllib.error
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest
import redis
from playwright.sync_api import expect

from tests.conftest import wait_until
from tests.live import HttpClient, start_live
from tests.test_supervision import WATCH_DOT_JS, healthy

LONG = os.environ.get("FAULTS_LONG") == "1"
pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800 if LONG else 600)]

BURST = 1000 if LONG else 200
SESSIONS = 8
# A client that gets no answer, or "busy", tries the same key again (a retry can't count twice).
RETRY_PAUSE_S = 0.1
GIVE_UP_S = 300
HOLD_S = 10


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The whole app, supervised as `make demo` runs it, with write limits the burst won't hit."""
    live = start_live(
        tmp_path_factory.mktemp("faults"),
        supervised=True,
        RATELIMIT_WRITES="1000000",
        RATELIMIT_ADDRESS_WRITES="1000000",
    )
    yield live
    live.stack.stop()


@pytest.fixture
def quiet(app):
    """Empty log, no lag, every process up."""
    wait_until(lambda: healthy(app), timeout=60, interval=0.2, what="/healthz before the test")
    app.manage("seed", "--reset")
    app.lag(delay_ms=0, jitter_ms=0, failure_rate=0, heal=True, no_reorder=True, replica_lag="slow=0")
    return app


# Writers ------------------------------------------------------------------------------------


@dataclass
class Burst:
    """`total` writes from SESSIONS sessions at once, each retried under its own key until answered."""

    app: object
    total: int
    stream: str = "curtain"
    prefix: str = field(default_factory=lambda: f"fault{uuid.uuid4().hex[:8]}-")
    accepted: dict[str, int] = field(default_factory=dict)  # key -> X-Event-Position
    answers: Counter = field(default_factory=Counter)  # every answer that was not a 202
    unanswered: list[str] = field(default_factory=list)
    frames_before: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Burst:
        if self.stream == "push":
            self.frames_before = frames_pushed(self.app, self.stream)
        numbers = iter(range(self.total))
        take = threading.Lock()

        def writer() -> None:
            client = HttpClient(self.app.url)
            self.open_page(client)
            while True:
                with take:
                    i = next(numbers, None)
                if i is None:
                    return
                self.write(client, f"{self.prefix}{i}", f"burst {self.prefix}{i}")

        self._threads = [threading.Thread(target=writer, daemon=True) for _ in range(SESSIONS)]
        for thread in self._threads:
            thread.start()
        return self

    def open_page(self, client: HttpClient) -> None:
        """The page opens the session its writes count against; a server killed while it loads
        is loaded again, as a person reloads (a writer that started late meets the kill here)."""
        deadline = time.monotonic() + GIVE_UP_S
        while True:
            try:
                client.get("/demos/push/")
                return
            except (urllib.error.URLError, OSError):
                if time.monotonic() >= deadline:
                    raise
                time.sleep(RETRY_PAUSE_S)

    def write(self, client: HttpClient, key: str, text: str) -> None:
        deadline = time.monotonic() + GIVE_UP_S
        while time.monotonic() < deadline:
            try:
                status, headers, _ = client.post(f"/write/{self.stream}/", {"text": text, "key": key})
            except (urllib.error.URLError, OSError) as error:
                status, headers = type(error).__name__, {}
            if status == 202:
                with self._lock:
                    self.accepted[key] = int(headers["X-Event-Position"])
                return
            with self._lock:
                self.answers[status] += 1
            time.sleep(RETRY_PAUSE_S)  # the client's pause before trying again, not a test's wait
        with self._lock:
            self.unanswered.append(key)

    def reached(self, count: int) -> bool:
        with self._lock:
            return len(self.accepted) >= count

    def join(self) -> Burst:
        for thread in self._threads:
            thread.join(GIVE_UP_S + 30)
        assert not any(t.is_alive() for t in self._threads), "writers still running"
        return self


# Counting ------------------------------------------------------------------------------------


def frames_pushed(app, stream: str = "push") -> int:
    """Frames the worker has pushed to the stream's live list: one per settled delivery on the
    list's replica (push/broadcast.py), so a second apply of one delivery is a frame too many."""
    return int(redis.Redis.from_url(app.stack.redis_url).get(f"push:seq:{stream}") or 0)


def columns(app, table: str) -> set[str]:
    return {row[1] for row in app.query(f"PRAGMA table_info({table})")}


def apply_counts(app) -> dict[str, int]:
    """Per replica: deliveries settled so far, and (where the store keeps one) its apply counter,
    which a second apply of the same delivery would push past the number of deliveries."""
    settled = dict(app.query("SELECT replica_id, count(*) FROM store_delivery WHERE state != 'queued' GROUP BY 1"))
    counts = {
        f"settled:{name}": settled.get(name, 0)
        for (name,) in app.query("SELECT name FROM store_replica WHERE stream = ''")
    }
    if "applies" in columns(app, "store_replica"):
        counts |= {
            f"applies:{name}": n for name, n in app.query("SELECT name, applies FROM store_replica WHERE stream = ''")
        }
    return counts


@dataclass
class Ledger:
    accepted: int
    applied_once: int
    lost: int
    doubled: int
    unaccepted_applied: int
    out_of_order: int
    position_mismatch: int
    checkpoints_at_top: bool
    frames: int | None = None  # pushed to the live list during the burst, where the stream has one

    def row(self) -> dict:
        return {k: getattr(self, k) for k in ("accepted", "applied_once", "lost", "doubled")}


def settled_everywhere(app, burst: Burst) -> bool:
    """Every accepted write settled on every replica, and every checkpoint past the newest."""
    positions = sorted(burst.accepted.values())
    (replicas,) = app.query("SELECT count(*) FROM store_replica WHERE stream = ''")[0]
    (settled,) = app.query(
        "SELECT count(*) FROM store_delivery d JOIN store_event e ON e.id = d.event_id "
        "WHERE e.key LIKE ? AND d.state != 'queued'",
        (burst.prefix + "%",),
    )[0]
    (lowest,) = app.query("SELECT min(checkpoint) FROM store_replica WHERE stream = ''")[0]
    return settled >= len(positions) * replicas and lowest >= positions[-1]


def count(app, burst: Burst, before: dict[str, int]) -> Ledger:
    """What became of the burst, from the log, the deliveries, the checkpoints and the counters."""
    replicas = [name for (name,) in app.query("SELECT name FROM store_replica WHERE stream = ''")]
    ordered = {name for (name,) in app.query("SELECT name FROM store_replica WHERE ordered AND stream = ''")}
    logged = dict(app.query("SELECT key, id FROM store_event WHERE key LIKE ?", (burst.prefix + "%",)))
    has_seq = "apply_seq" in columns(app, "store_delivery")
    rows = app.query(
        "SELECT e.key, d.replica_id, d.state, d.applied_at"
        + (", d.apply_seq" if has_seq else ", NULL")
        + " FROM store_event e JOIN store_delivery d ON d.event_id = e.id WHERE e.key LIKE ? ORDER BY e.id",
        (burst.prefix + "%",),
    )
    settlements = Counter((key, replica) for key, replica, state, _, _ in rows if state != "queued")
    once = [k for k in burst.accepted if all(settlements[(k, r)] == 1 for r in replicas)]
    lost = [k for k in burst.accepted if any(settlements[(k, r)] == 0 for r in replicas)]
    doubled = {k for (k, _), n in settlements.items() if n > 1}
    # The counters: how many applies happened during the burst against how many deliveries settled.
    after = apply_counts(app)
    for name in replicas:
        if f"applies:{name}" in after:
            extra = (after[f"applies:{name}"] - before.get(f"applies:{name}", 0)) - (
                after[f"settled:{name}"] - before.get(f"settled:{name}", 0)
            )
            doubled |= {f"counter:{name}:{i}" for i in range(max(extra, 0))}
    # Log order on ordered replicas: the order of applies (or their times) follows the positions.
    out_of_order = 0
    for name in ordered:
        marks = [(seq if has_seq else at) for _, r, state, at, seq in rows if r == name and state != "queued"]
        out_of_order += sum(1 for a, b in itertools.pairwise(marks) if a is not None and b is not None and b < a)
    frames = None
    if burst.frames_before is not None:
        frames = frames_pushed(app, burst.stream) - burst.frames_before
        doubled |= {f"frame:{i}" for i in range(max(frames - len(burst.accepted), 0))}
    top = max(burst.accepted.values(), default=0)
    (lowest,) = app.query("SELECT min(checkpoint) FROM store_replica WHERE stream = ''")[0]
    return Ledger(
        accepted=len(burst.accepted),
        applied_once=len(once),
        lost=len(lost),
        doubled=len(doubled),
        unaccepted_applied=len(set(logged) - set(burst.accepted)),
        out_of_order=out_of_order,
        position_mismatch=sum(1 for k, p in burst.accepted.items() if logged.get(k) != p),
        checkpoints_at_top=lowest >= top,
        frames=frames,
    )


def report(fault: str, ledger: Ledger, burst: Burst, **more) -> None:
    row = {"fault": fault, **ledger.row(), "other answers": dict(burst.answers), **more}
    if ledger.frames is not None:
        row["push frames"] = ledger.frames
    print(f"\n{fault}: {json.dumps(row)}")
    if path := os.environ.get("FAULTS_REPORT"):
        with open(path, "a") as out:
            out.write(json.dumps(row) + "\n")


def settle_and_count(app, burst: Burst, before: dict[str, int]) -> Ledger:
    burst.join()
    assert not burst.unanswered, f"{len(burst.unanswered)} writes never got an answer"
    try:
        wait_until(
            lambda: settled_everywhere(app, burst),
            timeout=180 + 0.5 * burst.total,
            interval=0.5,
            what=f"all {len(burst.accepted)} accepted writes to settle on every replica",
        )
    except AssertionError:
        print(where_it_stuck(app, burst))
        raise
    if burst.frames_before is not None:
        # Frames leave after the apply commits; a worker killed in between never sends its frame.
        with contextlib.suppress(AssertionError):
            wait_until(
                lambda: frames_pushed(app, burst.stream) - burst.frames_before >= len(burst.accepted),
                timeout=30,
                interval=0.2,
            )
    return count(app, burst, before)


def where_it_stuck(app, burst: Burst) -> str:
    states = app.query(
        "SELECT d.replica_id, d.state, count(*), min(e.id), max(d.enqueue_count) FROM store_delivery d "
        "JOIN store_event e ON e.id = d.event_id WHERE e.key LIKE ? GROUP BY 1, 2",
        (burst.prefix + "%",),
    )
    replicas = app.query("SELECT * FROM store_replica WHERE stream = ''")
    lag = app.query("SELECT * FROM store_lagsettings")
    return f"deliveries {states}\nreplicas {replicas}\nlag {lag}\n{app.dump_logs()}"


def server_errors(app) -> str:
    """The tracebacks the web server logged: what a 500 was."""
    path = app.stack.log_dir / "web.log"
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(block[:3000] for block in text.split("Traceback")[1:][-3:])


def assert_exactly_once(ledger: Ledger, burst: Burst) -> None:
    assert ledger.accepted == burst.total
    assert ledger.lost == 0 and ledger.doubled == 0
    assert ledger.applied_once == ledger.accepted
    assert ledger.unaccepted_applied == 0, "applied but never answered 202"
    assert ledger.position_mismatch == 0, "a 202 named another position than the log holds"
    assert ledger.checkpoints_at_top
    assert ledger.out_of_order == 0, "an ordered replica applied out of log order"
    assert 500 not in burst.answers, f"server errors: {burst.answers}\n{server_errors(burst.app)}"


# The faults ----------------------------------------------------------------------------------


def test_killing_the_worker_mid_burst_loses_no_accepted_write_and_doubles_none(quiet):
    quiet.lag(delay_ms=300, jitter_ms=300)
    before = apply_counts(quiet)
    burst = Burst(quiet, BURST, stream="push").start()
    wait_until(lambda: burst.reached(BURST // 3), timeout=GIVE_UP_S, interval=0.1, what="a third of the burst")
    killed = quiet.stack.procs["worker"]
    os.kill(killed.pid, signal.SIGKILL)
    (in_flight,) = quiet.query("SELECT count(*) FROM store_delivery WHERE state = 'queued'")[0]
    wait_until(lambda: quiet.stack.procs["worker"] is not killed, timeout=10, what="the worker to be restarted")
    ledger = settle_and_count(quiet, burst, before)
    report("kill -9 worker mid-burst", ledger, burst, in_flight_at_kill=in_flight)
    assert in_flight > 0, "the kill came after everything was applied: nothing was at stake"
    assert_exactly_once(ledger, burst)


def test_holding_the_sqlite_write_lock_answers_busy_retry_and_writes_nothing_half(quiet):
    before = apply_counts(quiet)
    clients = [HttpClient(quiet.url) for _ in range(3)]
    for client in clients:
        client.get("/demos/push/")
    pages = ["/write/curtain/", "/demos/push/write/", "/demos/optimistic/write/", "/demos/pending/write/"]
    prefix = f"held{uuid.uuid4().hex[:8]}-"
    refused: dict[str, tuple] = {}
    holder = sqlite3.connect(quiet.database_url.removeprefix("sqlite:///"), timeout=20, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, as a long writer would hold it
    held_until = time.monotonic() + HOLD_S
    try:
        # Every answer arrives while the lock is held: it is released only after the last one.
        for i in itertools.count():
            if time.monotonic() >= held_until and i >= len(pages):
                break
            key, path = f"{prefix}{i}", pages[i % len(pages)]
            refused[key] = (path, *clients[i % len(clients)].post(path, {"text": f"while locked {i}", "key": key}))
        # Read through the holder's own connection: what the lock let through is what counts.
        half = holder.execute("SELECT count(*) FROM store_event WHERE key LIKE ?", (prefix + "%",)).fetchone()[0]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    answers = Counter(status for _, status, _, _ in refused.values())
    assert refused and set(answers) == {503}, answers
    for path, _, headers, body in refused.values():
        assert int(headers["Retry-After"]) > 0
        assert "busy" in body and "nothing was written" in body and 'role="alert"' in body, (path, body)
    assert half == 0

    # Released: the same keys go through, once each, whole and applied everywhere.
    burst = Burst(quiet, len(refused), prefix=prefix)
    for key in refused:
        burst.write(clients[0], key, f"while locked {key.rsplit('-', 1)[1]}")
    ledger = settle_and_count(quiet, burst, before)
    report(f"SQLite write lock held {HOLD_S} s", ledger, burst, busy_answers=len(refused))
    assert_exactly_once(ledger, burst)


def test_changing_the_lag_mid_flight_applies_everything_once_in_log_order(quiet):
    quiet.lag(delay_ms=5000, jitter_ms=1000, replica_lag="slow=2000")
    before = apply_counts(quiet)
    burst = Burst(quiet, BURST, stream="push").start()
    steps = [
        (BURST // 4, dict(delay_ms=0, jitter_ms=500, reorder=True)),  # later writes overtake queued ones
        (BURST // 2, dict(pause=True)),  # a partition: writes queue, nothing applies
        (3 * BURST // 4, dict(heal=True, delay_ms=1000, replica_lag="slow=500", no_reorder=True)),
    ]
    for at, change in steps:
        wait_until(lambda a=at: burst.reached(a), timeout=GIVE_UP_S, interval=0.1, what=f"{at} writes")
        quiet.lag(**change)
    (queued,) = quiet.query("SELECT count(*) FROM store_delivery WHERE state = 'queued'")[0]
    ledger = settle_and_count(quiet, burst, before)
    report("lag changed mid-flight (delay, reorder, pause, heal)", ledger, burst, queued_at_heal=queued)
    assert_exactly_once(ledger, burst)
    assert ledger.frames == ledger.accepted, "one push per write"


# Daphne, with two browsers watching ----------------------------------------------------------

BROWSER_BURST = 14  # fewer than the live list holds (15), so every write must stay in sight


def page_items(page) -> list[tuple[str, int]]:
    return page.eval_on_selector_all(
        "#push-live [data-item-id]", "els => els.map(e => [e.dataset.itemId, Number(e.dataset.position)])"
    )


@pytest.mark.browser
def test_killing_daphne_mid_burst_leaves_both_pages_with_every_write_once(quiet, browser):
    quiet.lag(delay_ms=300, jitter_ms=300)
    contexts = [browser.new_context() for _ in range(2)]
    try:
        pages = []
        for context in contexts:
            page = context.new_page()
            page.set_default_timeout(20_000)
            page.goto(quiet.url + "/demos/push/")
            page.wait_for_selector("body.is-live")
            page.evaluate(WATCH_DOT_JS)
            pages.append(page)
        before = apply_counts(quiet)
        burst = Burst(quiet, BROWSER_BURST, stream="push").start()
        wait_until(lambda: burst.reached(BROWSER_BURST // 3), timeout=GIVE_UP_S, what="a third of the burst")
        killed = quiet.stack.procs["web"]
        os.kill(killed.pid, signal.SIGKILL)
        wait_until(lambda: quiet.stack.procs["web"] is not killed, timeout=10, what="Daphne to be restarted")
        ledger = settle_and_count(quiet, burst, before)
        newest = [k for (k,) in quiet.query("SELECT key FROM store_event WHERE stream = 'push' ORDER BY id DESC")]
        lists = []
        for page in pages:
            expect(page.locator("#push-live [data-item-id]").first).to_have_attribute(
                "data-item-id", newest[0], timeout=60_000
            )
            lists.append(page_items(page))
        shown = [[key for key, _ in listed] for listed in lists]
        missing = sum(1 for keys in shown for k in burst.accepted if k not in keys)
        twice = sum(n - 1 for keys in shown for n in Counter(keys).values() if n > 1)
        misplaced = sum(1 for keys in shown if keys != newest[: len(keys)])
        dots = pages[1].evaluate("window.__dot")
        report(
            "kill -9 Daphne mid-burst, 2 browsers",
            ledger,
            burst,
            page_missing=missing,
            page_twice=twice,
            pages_out_of_order=misplaced,
        )
        assert "reconnecting…" in dots, "the page never noticed Daphne was gone"
        assert_exactly_once(ledger, burst)
        assert ledger.frames == ledger.accepted, "one push per write"
        assert missing == 0 and twice == 0, f"an item missing or shown twice: {lists}"
        assert misplaced == 0, f"a page's list is not the replica's, newest position first: {lists}"
    finally:
        for context in contexts:
            context.close()


# Last: after a Redis restart the worker has been seen to stop consuming (see the note on
# finding 1 in bench/faults.py), which would starve any fault tested after it.
def test_killing_redis_mid_burst_still_answers_202_and_applies_everything_after(quiet):
    quiet.lag(delay_ms=200, jitter_ms=200)
    before = apply_counts(quiet)
    port = int(quiet.stack.redis_url.rsplit(":", 1)[1].split("/")[0])
    burst = Burst(quiet, BURST).start()
    wait_until(lambda: burst.reached(BURST // 3), timeout=GIVE_UP_S, interval=0.1, what="a third of the burst")
    quiet.stack.stop("redis", sig=signal.SIGKILL)  # no persistence: every queued task is gone
    try:
        at_kill = len(burst.accepted)
        wait_until(lambda: burst.reached(at_kill + BURST // 4), timeout=GIVE_UP_S, what="writes during the outage")
        during = len(burst.accepted) - at_kill
    finally:
        quiet.stack.start_redis(port)  # the same port, as the supervisor restarts it
    ledger = settle_and_count(quiet, burst, before)
    report("kill -9 Redis mid-burst, restart", ledger, burst, accepted_while_down=during)
    assert during >= BURST // 4
    assert_exactly_once(ledger, burst)
    wait_until(lambda: healthy(quiet), timeout=30, interval=0.2, what="/healthz after the outage")
