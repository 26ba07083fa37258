"""Recording runs: the store's announcements, appended to a Redis list as they happen and
persisted as runs in batches, off the request path (a beat task, or whoever reads the runs).

A write's request pays one Redis round trip here (RPUSH and LTRIM, pipelined): no database
transaction. `flush` groups what was buffered into runs: one per demo, a new one after
`IDLE_GAP_MS` without anything happening on that demo, or when a scenario starts. Changes
that concern every demo (the lag, a partition, a process restart, a reset, presenting) go into
every run open at the time.

An event is a dict: "t" (epoch ms), "k" (what happened) and what it concerns:
accepted (pos, key, text, session), applied and rejected (pos, key, r: the replica, reason),
pushed (pos, r), seen, withdrawn (replicas), progressed (key, state), lag (lag: the settings),
restart (process, exit), reset, scenario (title), presenting (on).
"""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import UTC, datetime

from django.db import transaction

from demos import registry
from showcase.redis_client import redis_client
from showcase.restarts import recent_restarts
from store import lag as lag_settings

from .models import Run

logger = logging.getLogger(__name__)

BUFFER = "runs:buffer"
LAG_KEY = "runs:lag"  # the lag settings as last recorded: a new run starts with them
PRESENTING_KEY = "runs:presenting"
RESTARTS_KEY = "runs:restarts-seen"
LOCK = "runs:flush-lock"
MAX_BUFFERED = 200_000  # a beat that stopped must not let the buffer eat Redis's memory
IDLE_GAP_MS = 60_000
MAX_RUNS = 100
MAX_EVENTS = 15_000  # a run longer goes on in a new one; keeps an exported run under 2 MB (bench.run_export)
GLOBAL = {"lag", "restart", "reset", "presenting"}
STARTS_RUN = {"accepted", "scenario"}
RECEIVERS = ("accepted", "settled", "lag_changed", "reset", "seen", "withdrawn", "progressed")


def now_ms() -> int:
    return int(time.time() * 1000)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def record(*entries: dict) -> None:
    """Buffer `entries` in Redis: one round trip, whatever their number."""
    if not entries:
        return
    with redis_client().pipeline(transaction=False) as pipe:
        pipe.rpush(BUFFER, *(json.dumps(entry, separators=(",", ":")) for entry in entries))
        pipe.ltrim(BUFFER, -MAX_BUFFERED, -1)
        pipe.execute()


# ---- Receivers of the store's signals (store/signals.py).


def accepted(events, **kwargs) -> None:
    """Events entered the log (one group commit's): one round trip for them all."""
    record(
        *(
            {
                "t": to_ms(event.accepted_at),
                "k": "accepted",
                "s": event.stream,
                "pos": event.pk,
                "key": event.key,
                "text": event.text[:200],
                "session": event.session_key[:8],
            }
            for event in events
        )
    )


def settled(replica: str, deliveries, **kwargs) -> None:
    """Applied or rejected by `replica`; pushed too when `replica` is the one its demo shows live
    (push listens first, so by now the frame has gone out)."""
    t = now_ms()
    entries = []
    for delivery in deliveries:
        event = delivery.event
        entry = {"t": t, "k": delivery.state, "s": event.stream, "pos": event.pk, "key": event.key, "r": replica}
        if delivery.state == "rejected":
            entry["reason"] = event.reason
        entries.append(entry)
        demo = registry.get(event.stream)
        if demo and demo.replica == replica:
            entries.append({"t": t, "k": "pushed", "s": event.stream, "pos": event.pk, "r": replica})
    record(*entries)


def lag_changed(**kwargs) -> None:
    record({"t": now_ms(), "k": "lag", "lag": lag_settings.describe()})


def reset(**kwargs) -> None:
    record({"t": now_ms(), "k": "reset"})


def seen(streams, **kwargs) -> None:
    record(*({"t": now_ms(), "k": "seen", "s": s} for s in sorted(streams)))


def withdrawn(stream: str, replicas, **kwargs) -> None:
    record({"t": now_ms(), "k": "withdrawn", "s": stream, "replicas": list(replicas)})


def progressed(process, **kwargs) -> None:
    record({"t": now_ms(), "k": "progressed", "s": process.stream, "key": process.key, "state": process.state})


# ---- Marks from the conference layer: a scenario began, presenting went on or off.


def scenario_started(slug: str, title: str) -> None:
    record({"t": now_ms(), "k": "scenario", "s": slug, "title": title[:200]})


def presenting(on: bool) -> None:
    redis_client().set(PRESENTING_KEY, "1" if on else "0")
    record({"t": now_ms(), "k": "presenting", "on": on})


# ---- Persisting.


def flush(batch: int = 5000, wait_s: float = 5) -> int:
    """Persist what is buffered; return how many events. One flusher at a time."""
    client = redis_client()
    lock = client.lock(LOCK, timeout=120, blocking_timeout=wait_s)
    if not lock.acquire():
        return 0
    try:
        _record_restarts(client)
        total = 0
        while raw := client.lrange(BUFFER, 0, batch - 1):
            _persist([json.loads(entry) for entry in raw], client)
            # Only now: entries lost to a failed save would be a hole in a run.
            client.ltrim(BUFFER, len(raw), -1)
            total += len(raw)
        if total:
            prune()
        return total
    finally:
        lock.release()


def _record_restarts(client) -> None:
    """The launcher's restarts not recorded yet (showcase/stack.py writes them to a file)."""
    entries = []
    for restart in reversed(recent_restarts(limit=20)):
        mark = f"{restart['at'].isoformat()}|{restart['process']}"
        if client.sadd(RESTARTS_KEY, mark):
            entries.append(
                {
                    "t": to_ms(restart["at"]),
                    "k": "restart",
                    "process": restart["process"],
                    "exit": restart.get("exit", ""),
                }
            )
    record(*entries)


class _Batch:
    """The runs a batch of entries goes into, as they stand."""

    def __init__(self, streams: set[str], first_t: int, client):
        self.client = client
        # And every demo whose run may still be open: a lag change alone goes into them.
        recent = Run.objects.filter(ended_at__gte=_at(first_t - IDLE_GAP_MS))
        streams = streams | set(recent.values_list("demo", flat=True))
        # The latest run of each demo: news of its writes goes there however late it comes.
        self.latest: dict[str, Run] = {}
        for stream in streams:
            if run := Run.objects.filter(demo=stream).order_by("-ended_at", "-id").first():
                self.latest[stream] = run
        self.touched: dict[int, Run] = {}
        self.fresh: list[Run] = []
        saved = client.get(LAG_KEY)
        self.lag = json.loads(saved) if saved else lag_settings.describe()
        self.presenting = client.get(PRESENTING_KEY) == b"1"

    def current(self, stream: str, t: int) -> Run | None:
        """The demo's run still open at `t`: something happened on it within the idle gap, and the
        demo data was not reset since."""
        run = self.latest.get(stream)
        if run is None or to_ms(run.ended_at) < t - IDLE_GAP_MS or len(run.events) >= MAX_EVENTS:
            return None
        if _reset_since_last_write(run):
            return None  # the demo data was reset: what comes next is a run of its own
        return run

    def open_streams(self, t: int) -> list[str]:
        """Demos whose run is open at `t`: a change for every demo goes into each of them."""
        return [stream for stream in self.latest if self.current(stream, t)]

    def start(self, stream: str, t: int, title: str = "") -> Run:
        kind = Run.SCENARIO if title else Run.PRESENTING if self.presenting else Run.WRITES
        run = Run(
            demo=stream,
            kind=kind,
            title=title,
            started_at=_at(t),
            ended_at=_at(t),
            # The lag's own seed when it has one: a rehearsal run at that seed draws the same delays again.
            seed=random.getrandbits(32) if self.lag.get("seed") is None else self.lag["seed"],
            lag=self.lag,
            events=[],
        )
        self.latest[stream] = run
        self.fresh.append(run)
        return run

    def add(self, run: Run, entry: dict) -> None:
        run.events.append({k: v for k, v in entry.items() if k != "s"})
        run.ended_at = max(run.ended_at, _at(entry["t"]))
        if entry["k"] == "accepted":
            run.writes += 1
        if run.pk:
            self.touched[run.pk] = run

    def save(self) -> None:
        with transaction.atomic():
            for run in [*self.touched.values(), *self.fresh]:
                run.save()
        self.client.set(LAG_KEY, json.dumps(self.lag))


def _reset_since_last_write(run: Run) -> bool:
    """Whether a reset came after the run's last write. Once reset, a run takes no more writes;
    only late applies of its own writes and changes for every demo may follow."""
    for event in reversed(run.events):
        if event["k"] == "reset":
            return True
        if event["k"] == "accepted":
            return False
    return False


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _persist(entries: list[dict], client) -> None:
    entries.sort(key=lambda e: e["t"])  # stable: what one receiver recorded keeps its order
    batch = _Batch({e["s"] for e in entries if e.get("s")}, entries[0]["t"], client)
    for entry in entries:
        kind, t = entry["k"], entry["t"]
        if kind in GLOBAL:
            if kind == "lag":
                batch.lag = entry["lag"]
            elif kind == "presenting":
                batch.presenting = entry["on"]
            for stream in batch.open_streams(t):
                batch.add(batch.latest[stream], entry)
            continue
        stream = entry.get("s", "")
        if kind == "scenario" or (kind in STARTS_RUN and batch.current(stream, t) is None):
            batch.start(stream, t, entry.get("title", ""))
        # An apply after a long partition still belongs to the run that holds its write.
        if (run := batch.latest.get(stream)) and len(run.events) < MAX_EVENTS:
            batch.add(run, entry)
    batch.save()


def prune() -> int:
    """Keep the newest `MAX_RUNS` runs."""
    old = list(Run.objects.order_by("-ended_at", "-id").values_list("pk", flat=True)[MAX_RUNS:])
    return Run.objects.filter(pk__in=old).delete()[0] if old else 0
