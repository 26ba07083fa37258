"""How long after acceptance each replica applies a write, at a 1 s delay and +2 s for "slow".

.venv/bin/python -m bench.apply_lag [writes]
"""

import sys
import time

from bench.common import running_app, summary

SQL = (
    "SELECT d.replica_id, (julianday(d.applied_at) - julianday(e.accepted_at)) * 86400000 "
    "FROM store_delivery d JOIN store_event e ON e.id = d.event_id WHERE e.stream = 'curtain' AND e.key LIKE 'bench-%'"
)


def main(writes: int = 20) -> None:
    with running_app() as app:
        app.lag(delay_ms=1000, jitter_ms=0, failure_rate=0, replica_lag="slow=2000")
        clients = [app.client() for _ in range(writes // 5 + 1)]
        for i in range(writes):
            clients[i // 5].write(f"bench {i}", key=f"bench-{i}")
            time.sleep(0.05)  # paced like people typing, not a load test
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            rows = app.query(SQL)
            if len(rows) == 2 * writes and all(ms is not None for _, ms in rows):
                break
            time.sleep(0.2)
        for replica, lag in (("fast", "1 s"), ("slow", "1 s + 2 s = 3 s")):
            values = [ms for name, ms in app.query(SQL) if name == replica and ms is not None]
            print(f"apply lag, replica {replica} (setting {lag}): {summary(values)}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
