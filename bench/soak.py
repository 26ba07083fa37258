"""Memory soak: an audience of sockets on the push page while writes trickle in at lag 1 s
with jitter; resident memory of every process of the app at start, after warm-up and at the end.

.venv/bin/python -m bench.soak            # 3 minutes, warm-up 1 minute
.venv/bin/python -m bench.soak --full     # 30 minutes, warm-up 5 minutes (or SOAK_FULL=1)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import time
import uuid

from bench.common import running_app
from bench.fanout import open_sockets

SOCKETS = 200
WRITES_PER_S = 5
PER_SESSION = 8  # a fresh session every few writes keeps below the rate limit


def rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def processes(app) -> dict[str, int]:
    """Every process of the app by name, the worker's pool children included."""
    found = {}
    for name, proc in app.stack.procs.items():
        found[name] = proc.pid
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        for i, child in enumerate(children):
            found[f"{name}/child-{i + 1}"] = int(child)
    return found


async def soak(app, minutes: float, warmup_minutes: float) -> dict:
    pids = processes(app)
    memory = {"start": {n: rss_kb(p) for n, p in pids.items()}}
    host = app.url.split("//", 1)[1]
    sockets = await open_sockets(f"ws://{host}/ws/live/?g=stream.push", SOCKETS, app.url)
    listeners = [asyncio.create_task(s.listen([])) for s in sockets]
    started = time.monotonic()
    run = uuid.uuid4().hex[:6]
    client, written = app.client(), 0
    while (elapsed := time.monotonic() - started) < minutes * 60:
        if "after warm-up" not in memory and elapsed >= warmup_minutes * 60:
            memory["after warm-up"] = {n: rss_kb(p) for n, p in pids.items()}
        if written % PER_SESSION == 0:
            client = app.client()
        await asyncio.to_thread(client.write, f"soak {run} {written}", "push")
        written += 1
        await asyncio.sleep(max(0.0, started + written / WRITES_PER_S - time.monotonic()))
    memory["end"] = {n: rss_kb(p) for n, p in pids.items()}
    for s in sockets:
        await s.ws.close()
    await asyncio.gather(*listeners)
    return {"minutes": minutes, "warmup_minutes": warmup_minutes, "writes": written, "memory": memory}


def report(r: dict) -> str:
    lines = [
        f"memory soak: {SOCKETS} sockets, {WRITES_PER_S} writes/s at lag 1 s ± jitter, {r['minutes']:g} min "
        f"({r['writes']} writes); resident memory in MB",
        f"  {'process':18} {'start':>7} {'warm-up':>8} {'end':>7} {'end vs warm-up':>15}",
    ]
    memory = r["memory"]
    for name, start in memory["start"].items():
        warm, end = memory.get("after warm-up", {}).get(name, 0), memory["end"].get(name, 0)
        change = f"{(end - warm) / warm * 100:+.1f} %" if warm else "-"
        lines.append(f"  {name:18} {start / 1024:7.1f} {warm / 1024:8.1f} {end / 1024:7.1f} {change:>15}")
    return "\n".join(lines)


def measure(full: bool = False) -> dict:
    minutes, warmup = (30, 5) if full else (3, 1)
    with running_app() as app:
        app.lag(delay_ms=1000, jitter_ms=300, failure_rate=0, replica_lag="slow=0")
        return asyncio.run(soak(app, minutes, warmup))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", default=os.environ.get("SOAK_FULL") == "1")
    print(report(measure(parser.parse_args().full)))


if __name__ == "__main__":
    main()
