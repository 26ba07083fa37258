"""The talk's arc, measured on the real app: what consistency costs (CP write latency vs lag),
how fast CP refuses under a partition, how long AP takes to converge after the heal, and what
a customer waits for in each pane of the business process.

    .venv/bin/python -m bench.arc [rounds]
"""

import sys
import time
import uuid

from bench.common import running_app, summary
from tests.live import LiveApp

LAGS_MS = (500, 1000, 2000, 3000)


def post(client, path: str, text: str) -> tuple[int, float, dict]:
    """POST one write; (status, round trip in ms, headers)."""
    started = time.monotonic()
    status, headers, _ = client.post(path, {"text": text, "key": uuid.uuid4().hex})
    return status, (time.monotonic() - started) * 1000, headers


def queued_in_cluster(app: LiveApp) -> int:
    return app.query(
        "SELECT count(*) FROM store_delivery d JOIN store_replica r ON r.name = d.replica_id "
        "WHERE r.stream = 'cap' AND d.state = 'queued'"
    )[0][0]


def cp_latency(app: LiveApp, rounds: int) -> None:
    print("CP write: click → answer (a majority of 3 replicas has it), by lag")
    for lag in LAGS_MS:
        app.lag(delay_ms=lag, jitter_ms=0, failure_rate=0, heal=True)
        client = app.client()
        times, refused = [], 0
        for i in range(rounds):
            status, ms, _ = post(client, "/demos/cap/cp/", f"bench cp {i}")
            if status == 200:
                times.append(ms)
            refused += status != 200
        ap = [post(client, "/demos/cap/ap/", f"bench ap {i}")[1] for i in range(rounds)]
        extra = f" · {refused} refused" if refused else ""
        print(f"  lag {lag:>5} ms  CP {summary(times)}{extra}")
        print(f"  {'':15}AP {summary(ap)}")


def cp_refusal(app: LiveApp, rounds: int) -> None:
    app.lag(delay_ms=2000, jitter_ms=0, pause=True)
    client = app.client()
    times, other = [], 0
    for i in range(rounds):
        status, ms, _ = post(client, "/demos/cap/cp/", f"bench refused {i}")
        if status == 503:
            times.append(ms)
        other += status != 503
    left = app.query("SELECT count(*) FROM store_event WHERE kind = 'cap.cp' AND payload LIKE '%bench refused%'")[0][0]
    print(f"CP under a partition: click → 503 {summary(times)} · {other} not refused · {left} left in the log")


def convergence(app: LiveApp, rounds: int, writes: int = 5) -> None:
    samples = []
    for _ in range(rounds):
        app.lag(delay_ms=2000, jitter_ms=0, pause=True)
        client = app.client()
        for i in range(writes):
            assert post(client, "/demos/cap/ap/", f"bench partitioned {i}")[0] == 202
        app.lag(heal=True)
        deadline = time.monotonic() + 60
        while queued_in_cluster(app) and time.monotonic() < deadline:
            time.sleep(0.05)
        # From the moment the heal was saved to the last apply, both as the server stored them
        # (a manage.py start on a loaded machine is not part of the convergence).
        (ms,) = app.query(
            "SELECT (julianday(max(d.applied_at)) - julianday(s.updated_at)) * 86400000 "
            "FROM store_delivery d JOIN store_replica r ON r.name = d.replica_id, store_lagsettings s "
            "WHERE r.stream = 'cap'"
        )[0]
        samples.append(ms)
    print(f"AP after heal: {writes} writes held back; every replica has them {summary(samples)} after the heal")


def business_process(app: LiveApp, rounds: int) -> None:
    print("Business process: what the customer waits for, by lag (no failures)")
    for lag in (1000, 2000, 3000):
        app.lag(delay_ms=lag, jitter_ms=0, failure_rate=0, heal=True)
        client = app.client()
        naive, trick, doubt = [], [], 0
        for i in range(rounds):
            status, ms, _ = post(client, "/demos/business-process/naive/", f"bench naive {i}")
            naive.append(ms)
            doubt += status == 504
            trick.append(post(client, "/demos/business-process/order/", f"bench trick {i}")[1])
        print(f"  lag {lag:>5} ms  naive {summary(naive)} · {doubt} of {rounds} timed out in doubt")
        print(f"  {'':15}trick {summary(trick)}")


def main(rounds: int = 5) -> None:
    with running_app(RATELIMIT_WRITES="10000") as app:
        app.manage("seed", "--reset")
        cp_latency(app, rounds)
        cp_refusal(app, rounds)
        convergence(app, rounds)
        business_process(app, rounds)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
