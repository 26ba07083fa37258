"""The scale-out path on one machine: PostgreSQL, Redis, 2 Daphne processes on one socket and
2 Celery workers, started by the benchmark itself (a throwaway PostgreSQL cluster under a
non-root user, as the tests run it). Writes per second with exactly-once, then fan-out to
1,000 sockets against the bare server, in the same run.

.venv/bin/python -m bench.scale_out          (starts its own PostgreSQL cluster)
"""

import os
import subprocess
import sys

from bench import fanout, throughput
from bench.common import running_app
from tests import postgres

SCALE = {"WEB_PROCESSES": "2", "WORKER_PROCESSES": "2"}


def measure() -> dict:
    with running_app(**SCALE) as app:
        database = "PostgreSQL" if postgres.is_postgres(app.stack.database_url) else "SQLite"
        writes = throughput.measure(app, 400, 16)
        app.lag(delay_ms=0, jitter_ms=0, failure_rate=0, replica_lag="slow=0")
        fan = fanout.measure(app, (1000,), 10)
    return {"database": database, "writes": writes, "fanout": fan}


def report(r: dict) -> str:
    lines = [
        f"{r['database']}, Redis, {SCALE['WEB_PROCESSES']} Daphne processes on one socket, "
        f"{SCALE['WORKER_PROCESSES']} Celery workers:",
        throughput.report(r["writes"]),
        *(fanout.report(f) for f in r["fanout"]),
    ]
    return "\n".join(lines)


def main() -> None:
    if not postgres.is_postgres(os.environ.get("DATABASE_URL")):
        # Again, inside a throwaway cluster that tests.postgres starts and stops around us.
        sys.exit(subprocess.call([sys.executable, "-m", "tests.postgres", sys.executable, "-m", "bench.scale_out"]))
    print(report(measure()), flush=True)


if __name__ == "__main__":
    main()
