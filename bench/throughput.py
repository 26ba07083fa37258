"""Accepted writes per second at lag 0, and whether each was applied exactly once.

.venv/bin/python -m bench.throughput [writes] [threads]
"""

import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from bench.common import running_app

PER_SESSION = 8  # below the per-session rate limit


def main(writes: int = 400, threads: int = 16) -> None:
    with running_app() as app:
        app.lag(delay_ms=0, jitter_ms=0, failure_rate=0, replica_lag="slow=0")
        clients = [app.client() for _ in range(writes // PER_SESSION + 1)]
        for client in clients:
            client.csrf()
        run = uuid.uuid4().hex[:6]

        def one(i: int) -> int:
            return clients[i // PER_SESSION].write(f"load {i}", key=f"load-{run}-{i}")

        started = time.monotonic()
        with ThreadPoolExecutor(threads) as pool:
            positions = list(pool.map(one, range(writes)))
        accepted_s = time.monotonic() - started
        marks = ",".join("?" * len(positions))
        sql = f"SELECT count(*) FROM store_delivery WHERE state = 'applied' AND event_id IN ({marks})"  # noqa: S608
        while app.query(sql, tuple(positions))[0][0] < 2 * writes and time.monotonic() - started < 120:
            time.sleep(0.2)
        applied_s = time.monotonic() - started
        rows = app.query(
            f"SELECT count(*), count(DISTINCT replica_id || '-' || event_id) FROM store_delivery "  # noqa: S608
            f"WHERE state = 'applied' AND event_id IN ({marks})",
            tuple(positions),
        )[0]
        print(
            f"{writes} writes from {threads} threads: {writes / accepted_s:.0f} accepted/s "
            f"({accepted_s:.1f} s); all applied on both replicas after {applied_s:.1f} s "
            f"({2 * writes / applied_s:.0f} applies/s); applied rows {rows[0]}, distinct {rows[1]}"
        )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
