"""How long after a run's last operation its verdicts are there: about 1,000 operations on the
CAP demo against the whole app (Daphne, Celery worker, Redis), AP writes under a partition from
several sessions and reads of both panes by others, then the time from the last answer to the
verdict of every pane covering every operation (kept and pushed by the same task).

    .venv/bin/python -m bench.verdicts [operations] [sessions]
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


def session_ops(client: HttpClient, count: int, every_write: int, done: list[float]) -> None:
    for i in range(count):
        if i % every_write == 0:
            key = uuid.uuid4().hex
            side = "cp" if i % (2 * every_write) else "ap"
            status, _, _ = client.post(f"/demos/cap/{side}/", {"key": key, "text": f"Seat {key[:4]}"})
            assert status in (200, 202), status
        else:
            status, _ = client.get(f"/demos/cap/read/{'ap' if i % 2 else 'cp'}/")
            assert status in (200, 503), status
    done.append(time.time())


def main() -> None:
    operations = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    sessions = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    with running_app(RATELIMIT_WRITES="100000") as app:
        store = redis.Redis.from_url(app.stack.redis_url)
        app.lag(delay_ms=300, jitter_ms=0)  # no partition: CP reads answer, and are recorded
        clients = [HttpClient(app.url) for _ in range(sessions)]
        for client in clients:
            client.csrf()
        # At lag 300 ms the AP pane's reads of other sessions' writes go stale; CP waits for a majority.
        done: list[float] = []
        each = operations // sessions
        started = time.time()
        threads = [threading.Thread(target=session_ops, args=(c, each, 4, done)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        last = max(done)
        run = int(store.get("history:cap:runs"))
        recorded = store.llen(f"history:cap:run:{run}")
        deadline = time.time() + DEADLINE_S
        verdicts: dict = {}
        seen = None
        while time.time() < deadline:
            saved = {k.decode(): json.loads(v) for k, v in store.hgetall("history:cap:verdicts").items()}
            covered = sum(v["ops"] for v in saved.values() if v["run"] == run)
            if covered != seen:
                print(f"  +{time.time() - last:.2f} s: verdicts cover {covered} of {recorded} operations")
                seen = covered
            if covered >= recorded:
                verdicts = saved
                break
            time.sleep(0.01)
        waited = time.time() - last
        print(f"bench.verdicts: {recorded} operations recorded on CAP in {last - started:.1f} s by {sessions} sessions")
        if not verdicts:
            print(f"no verdict covering them within {DEADLINE_S} s")
            sys.exit(1)
        for _, v in sorted(verdicts.items()):
            print(f"  {v['label']}: {v['verdict']}, {v['ops']} operations, checked in {v['ms']:.0f} ms")
        judged = max(v["at"] for v in verdicts.values())
        newest = max(v["last_op"] for v in verdicts.values())
        print(f"last answer to a client -> verdict kept and pushed: {judged - last:.2f} s (polled: {waited:.2f} s)")
        print(f"last operation recorded (a push after the last apply) -> verdict: {judged - newest:.2f} s")


if __name__ == "__main__":
    main()
