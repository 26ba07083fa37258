"""How long after a run's last operation its verdicts are there: about 1,000 operations on a
demo against the whole app (Daphne, Celery worker, Redis), then the time from the last answer to
the verdict of every pane covering every operation (kept and pushed by the same task). On CAP,
writes to both sides from several sessions and reads of both panes by others; on a session demo
(read-your-writes, monotonic-writes), writes and page loads (each page load a read of both panes).

    .venv/bin/python -m bench.verdicts [operations] [sessions] [demo]
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid

import redis

from bench.common import running_app
from tests.live import HttpClient

DEADLINE_S = 60


def cap(client: HttpClient, i: int, every_write: int) -> None:
    if i % every_write == 0:
        key = uuid.uuid4().hex
        side = "cp" if i % (2 * every_write) else "ap"
        status, _, _ = client.post(f"/demos/cap/{side}/", {"key": key, "text": f"Seat {key[:4]}"})
        assert status in (200, 202), status
    else:
        status, _ = client.get(f"/demos/cap/read/{'ap' if i % 2 else 'cp'}/")
        assert status in (200, 503), status


def session_demo(slug: str, texts: tuple[str, ...]):
    def op(client: HttpClient, i: int, every_write: int) -> None:
        if i % every_write == 0:
            text = texts[(i // every_write) % len(texts)]
            status, _, _ = client.post(f"/demos/{slug}/write/", {"key": uuid.uuid4().hex, "text": text})
            assert status in (200, 202), status  # read your writes: the redirect, followed
        else:
            status, _ = client.get(f"/demos/{slug}/")
            assert status == 200, status

    return op


DEMOS = {
    "cap": cap,
    "read-your-writes": session_demo("read-your-writes", ("Where is my comment?", "Posting again")),
    "monotonic-writes": session_demo("monotonic-writes", ("price 40", "publish")),
}


def session_ops(client: HttpClient, demo, count: int, every_write: int, done: list[float]) -> None:
    for i in range(count):
        demo(client, i, every_write)
    done.append(time.time())


def newest(store, key: str, start: int) -> tuple[int, float]:
    """How many operations the run has, and the latest time among those from `start` on."""
    ops = [json.loads(line) for line in store.lrange(key, start, -1)]
    return start + len(ops), max((op["c"] or op["i"] for op in ops), default=0.0)


def main() -> None:
    operations = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    sessions = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    slug = sys.argv[3] if len(sys.argv) > 3 else "cap"
    with running_app(RATELIMIT_WRITES="100000") as app:
        store = redis.Redis.from_url(app.stack.redis_url)
        if slug == "cap":
            app.lag(delay_ms=300, jitter_ms=0)  # no partition: CP reads answer, and are recorded
        else:
            app.lag(delay_ms=300, jitter_ms=600, reorder=True)  # the naive panes' anomalies, found and drawn
        clients = [HttpClient(app.url) for _ in range(sessions)]
        for client in clients:
            client.csrf()
        # At lag 300 ms the AP pane's reads of other sessions' writes go stale; CP waits for a majority.
        done: list[float] = []
        each = operations // sessions
        started = time.time()
        threads = [threading.Thread(target=session_ops, args=(c, DEMOS[slug], each, 4, done)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        last = max(done)
        run = int(store.get(f"history:{slug}:runs"))
        ops_key = f"history:{slug}:run:{run}"
        recorded, latest = newest(store, ops_key, 0)
        deadline = time.time() + DEADLINE_S
        verdicts: dict = {}
        seen = None
        while time.time() < deadline:
            # Pushes after the last apply still add reads: a verdict covers the run once it has the latest.
            if store.llen(ops_key) > recorded:
                recorded, later = newest(store, ops_key, recorded)
                latest = max(latest, later)
            saved = {k.decode(): json.loads(v) for k, v in store.hgetall(f"history:{slug}:verdicts").items()}
            covered = [v for v in saved.values() if v["run"] == run and v["last_op"] >= latest - 1e-6]
            shown = sorted((v["label"], v["ops"]) for v in saved.values() if v["run"] == run)
            if shown != seen:
                print(f"  +{time.time() - last:.2f} s: verdicts {shown} of {recorded} operations recorded")
                seen = shown
            if saved and len(covered) == len(saved):
                verdicts = saved
                break
            time.sleep(0.02)
        waited = time.time() - last
        print(
            f"bench.verdicts: {recorded} operations recorded on {slug} in {last - started:.1f} s by {sessions} sessions"
        )
        if not verdicts:
            print(f"no verdict covering them within {DEADLINE_S} s")
            sys.exit(1)
        for _, v in sorted(verdicts.items()):
            print(f"  {v['label']}: {v['verdict']}, {v['ops']} operations, checked in {v['ms']:.0f} ms")
        judged = max(v["at"] for v in verdicts.values())
        last_op = max(v["last_op"] for v in verdicts.values())
        print(f"last answer to a client -> verdict kept and pushed: {judged - last:.2f} s (polled: {waited:.2f} s)")
        print(f"last operation recorded (a push after the last apply) -> verdict: {judged - last_op:.2f} s")


if __name__ == "__main__":
    main()
