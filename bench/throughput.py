"""Accepted writes per second at lag 0, and whether each was applied exactly once.

.venv/bin/python -m bench.throughput [writes] [threads ...]      (WEB_PROCESSES=n to vary)

The app runs as `make demo` runs it on 2 cores: 2 Daphne processes on one socket
(WEB_PROCESSES=1 for one), a Celery worker, Redis, SQLite. One row per number of clients writing
at once (16, 32 and 64 by default: a room's "everyone, tap now" is hundreds), each with the CPU
a write costs per process and the client's own (it shares the machine).

Exactly once is checked twice, by different witnesses: the database holds one applied
delivery per write and replica, and the projector's own counter (Replica.applies, raised in
the transaction that moves a delivery out of `queued`) went up by exactly writes x replicas.
"""

import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from bench.common import running_app

PER_SESSION = 8  # below the per-session rate limit


def cpu_seconds(app) -> float:
    """CPU time used so far by every process of the app (pool children included)."""
    return sum(cpu_by_process(app).values())


def cpu_by_process(app) -> dict[str, float]:
    """CPU time used so far by each process of the app, pool children under their parent's name."""
    from bench.soak import processes

    used: dict[str, float] = {}
    for name, pid in processes(app).items():
        try:
            used[name.split("/")[0]] = used.get(name.split("/")[0], 0.0) + pid_cpu_seconds(pid)
        except OSError:
            pass
    return used


def client_cpu_seconds() -> float:
    """CPU time this process (the clients) used so far."""
    times = os.times()
    return times.user + times.system


def pid_cpu_seconds(pid: int) -> float:
    """User and system CPU time used so far by one process."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def counted(app) -> int:
    """The projector's own count of deliveries it moved out of `queued` (Replica.applies)."""
    return app.query("SELECT coalesce(sum(applies), 0) FROM store_replica")[0][0]


def measure(app, writes: int = 400, threads: int = 16) -> dict:
    app.lag(delay_ms=0, jitter_ms=0, failure_rate=0, replica_lag="slow=0")
    replicas = app.query("SELECT count(*) FROM store_replica WHERE stream = ''")[0][0]  # the curtain's
    clients = [app.client() for _ in range(writes // PER_SESSION + 1)]
    for client in clients:
        client.csrf()
    run = uuid.uuid4().hex[:6]
    counted_before = counted(app)
    cpu_before, client_before = cpu_by_process(app), client_cpu_seconds()

    busy = []

    def one(i: int) -> int:
        """As a person would: on "busy, retry" (503) the same write again, same key."""
        client, key = clients[i // PER_SESSION], f"load-{run}-{i}"
        while True:
            status, headers, body = client.post("/write/curtain/", {"text": f"load {i}", "key": key})
            if status != 503:
                assert status == 202, body
                return int(headers["X-Event-Position"])
            busy.append(i)
            time.sleep(0.1)

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        positions = list(pool.map(one, range(writes)))
    accepted_s = time.monotonic() - started
    client_cpu = client_cpu_seconds() - client_before
    marks = ",".join("?" * len(positions))
    sql = f"SELECT count(*) FROM store_delivery WHERE state = 'applied' AND event_id IN ({marks})"  # noqa: S608
    while app.query(sql, tuple(positions))[0][0] < replicas * writes and time.monotonic() - started < 120:
        time.sleep(0.05)
    applied_s = time.monotonic() - started
    cpu_after = cpu_by_process(app)
    by_process = {name: (cpu_after[name] - cpu_before.get(name, 0.0)) * 1000 / writes for name in cpu_after}
    cpu = sum(cpu_after.values()) - sum(cpu_before.values())
    resent = app.query(
        f"SELECT count(*) FROM store_delivery WHERE enqueue_count > 1 AND event_id IN ({marks})",  # noqa: S608
        tuple(positions),
    )[0][0]
    time.sleep(1)  # a late double apply would be counted by now
    # The counter first: it trails the database, so only a double apply can make it the larger.
    count = counted(app) - counted_before
    rows, distinct = app.query(
        f"SELECT count(*), count(DISTINCT replica_id || '-' || event_id) FROM store_delivery "  # noqa: S608
        f"WHERE state = 'applied' AND event_id IN ({marks})",
        tuple(positions),
    )[0]
    return {
        "writes": writes,
        "threads": threads,
        "replicas": replicas,
        "accepted_per_s": writes / accepted_s,
        "applies_per_s": replicas * writes / applied_s,
        "applied_rows": rows,
        "distinct": distinct,
        "counted": count,
        "resent": resent,
        "cpu_ms_per_write": cpu * 1000 / writes,
        "cpu_ms_by_process": by_process,
        "client_cpu_ms_per_write": client_cpu * 1000 / writes,
        "busy": len(busy),
        "exactly_once": rows == distinct == replicas * writes == count,
    }


def report(r: dict) -> str:
    return (
        f"{r['writes']} writes from {r['threads']} threads: {r['accepted_per_s']:.0f} accepted/s "
        f"({r['busy']} answers of 503 busy, retried); "
        f"{r['applies_per_s']:.0f} applies/s; applied rows {r['applied_rows']}, distinct {r['distinct']}, "
        f"projector's count {r['counted']} (expected {r['replicas'] * r['writes']}): "
        f"{'exactly once' if r['exactly_once'] else 'NOT exactly once'} ({r['resent']} sent again by the sweeper); "
        f"{r['cpu_ms_per_write']:.1f} ms of CPU per write over all the app's processes "
        f"(on {os.cpu_count()} idle cores: at most {os.cpu_count() * 1000 / r['cpu_ms_per_write']:.0f} writes/s); "
        + ", ".join(f"{name} {ms:.2f}" for name, ms in sorted(r["cpu_ms_by_process"].items()) if ms >= 0.01)
        + f" ms a write; the clients {r['client_cpu_ms_per_write']:.2f} ms"
    )


def main(writes: int = 1200, *threads: int) -> None:
    processes = os.environ.get("WEB_PROCESSES") or "2"
    with running_app(WEB_PROCESSES=processes) as app:
        print(f"{processes} Daphne process(es); load average {os.getloadavg()[0]:.1f} before", flush=True)
        for n in threads or (16, 32, 64):
            print(report(measure(app, writes, n)), f"(load {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
