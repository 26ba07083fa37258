"""Push fan-out: from a replica applying a write to every open websocket holding it, for the
stack (Daphne + Channels + channels_redis) and, in the same run, for a bare `websockets`
broadcast server in one process sending the same bytes to as many sockets.

.venv/bin/python -m bench.fanout [sockets ...] [--writes N] [--runs N]     (WEB_PROCESSES=n to vary)

Stack: sockets join the push demo's group (/ws/live/?g=stream.push); each write's text is a
unique marker; its delay is from the replica's `applied_at` to the first frame on each socket
that holds the marker. Bare: the server stamps the time just before it broadcasts. "first" is
the delay to the first socket: what comes before the fan-out itself (the worker's commit, its
render and publish, Redis).

The machine is shared: each size is measured stack, bare, stack, bare... in the same minute
(`--runs` times), every row with the 1-minute load average beside it, and the ratio is taken
within each run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidMessage

from bench.common import percentile, running_app

ITEM = re.compile(r"<li data-item-id=.*?</li>", re.DOTALL)


class Socket:
    """One audience member: remembers when each marker first arrived and how many bytes came."""

    def __init__(self, ws, holds: str = ""):
        self.ws = ws
        # Only frames holding this count as the write's arrival (the push page's list, its one
        # item swapped into "#push-live"; not a timeline).
        self.holds = holds
        self.seen: dict[str, float] = {}
        self.bytes = 0
        self.frames = 0
        self.last_frame = ""

    async def listen(self, markers: list[str]) -> None:
        try:
            async for message in self.ws:
                now = time.time()
                self.bytes += len(message.encode() if isinstance(message, str) else message)
                self.frames += 1
                if self.holds not in message:
                    continue
                for marker in markers:
                    if marker not in self.seen and marker in message:
                        self.seen[marker] = now
                        self.last_frame = message
        except Exception:  # noqa: BLE001, S110 - closed at the end of the run
            pass


async def open_sockets(url: str, n: int, origin: str, holds: str = "") -> list[Socket]:
    sockets: list[Socket] = []
    # In small batches: a thousand handshakes at once would measure the accept queue (and run
    # into Daphne's handshake timeout on a loaded machine), not the push.
    for start in range(0, n, 20):
        batch = await asyncio.gather(*(_connect(url, origin) for _ in range(start, min(n, start + 20))))
        sockets += [Socket(ws, holds) for ws in batch]
    return sockets


async def _connect(url: str, origin: str, attempts: int = 5):
    for attempt in range(attempts):
        try:
            return await connect(url, origin=origin, max_size=None, open_timeout=60)
        except (OSError, InvalidHandshake, InvalidMessage):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5)


async def wait_all(sockets: list[Socket], marker: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(marker in s.seen for s in sockets):
        await asyncio.sleep(0.01)


def delays(sockets: list[Socket], sent_at: dict[str, float]) -> list[float]:
    return [(s.seen[m] - t0) * 1000 for s in sockets for m, t0 in sent_at.items() if m in s.seen]


def stats(values: list[float], expected: int) -> dict:
    return {
        "n": len(values),
        "missing": expected - len(values),
        "first": min(values, default=0.0),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": max(values, default=0.0),
    }


async def stack_run(app, n: int, writes: int) -> dict:
    host = app.url.split("//", 1)[1]
    sockets = await open_sockets(f"ws://{host}/ws/live/?g=stream.push", n, app.url, holds="push-live")
    markers: list[str] = []
    listeners = [asyncio.create_task(s.listen(markers)) for s in sockets]
    await asyncio.sleep(1)  # snapshots delivered
    bytes_before = sum(s.bytes for s in sockets)
    frames_before = sum(s.frames for s in sockets)
    client = app.client()
    run = uuid.uuid4().hex[:6]
    positions = {}
    for i in range(writes):
        marker = f"fanout-{run}-{i}"
        markers.append(marker)
        positions[marker] = await asyncio.to_thread(client.write, marker, "push")
        await wait_all(sockets, marker)
        await asyncio.sleep(0.25)  # one write at a time, as the audience sees them
    await asyncio.sleep(1)  # the coalesced timeline redraws that trail the last write
    sent_bytes = sum(s.bytes for s in sockets) - bytes_before
    sent_frames = sum(s.frames for s in sockets) - frames_before
    sent_at = {}
    for marker, position in positions.items():
        (applied,) = app.query(
            "SELECT applied_at FROM store_delivery WHERE event_id = ? AND replica_id = 'fast'", (position,)
        )[0]
        # SQLite hands back text, PostgreSQL a datetime.
        sent_at[marker] = (applied if isinstance(applied, datetime) else datetime.fromisoformat(applied)).timestamp()
    frame = sockets[0].last_frame
    item = next((m.group(0) for m in ITEM.finditer(frame) if markers[-1] in m.group(0)), "")
    for s in sockets:
        await s.ws.close()
    await asyncio.gather(*listeners)
    return {
        **stats(delays(sockets, sent_at), n * writes),
        "frame_bytes": len(frame.encode()),
        "item_bytes": len(item.encode()),
        "bytes_per_socket_per_write": sent_bytes / n / writes,
        "frames_per_socket_per_write": sent_frames / n / writes,
    }


def start_bare_server() -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "bench.bare_broadcast", str(port)])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("bare broadcast server did not start")


async def bare_run(port: int, n: int, writes: int, size: int) -> dict:
    sockets = await open_sockets(f"ws://127.0.0.1:{port}/listen", n, "http://127.0.0.1")
    markers: list[str] = []
    listeners = [asyncio.create_task(s.listen(markers)) for s in sockets]
    run = uuid.uuid4().hex[:6]
    sent_at = {}
    async with connect(f"ws://127.0.0.1:{port}/control") as control:
        for i in range(writes):
            marker = f"bare-{run}-{i}"
            markers.append(marker)
            await control.send(f"{marker} {size}")
            sent_at[marker] = float(await control.recv())
            await wait_all(sockets, marker)
            await asyncio.sleep(0.25)
    for s in sockets:
        await s.ws.close()
    await asyncio.gather(*listeners)
    return stats(delays(sockets, sent_at), n * writes)


def row(label: str, r: dict) -> str:
    missing = f" ({r['missing']} missing)" if r["missing"] else ""
    return f"{label}: p50 {r['p50']:.0f} ms · p95 {r['p95']:.0f} ms · max {r['max']:.0f} ms{missing}"


def measure(app, counts=(100, 500, 1000), writes: int = 10, runs: int = 1) -> list[dict]:
    results = []
    bare, port = start_bare_server()
    try:
        for n in [n for _ in range(runs) for n in counts]:
            stack = asyncio.run(stack_run(app, n, writes))
            same = asyncio.run(bare_run(port, n, writes, stack["frame_bytes"]))
            small = asyncio.run(bare_run(port, n, writes, max(stack["item_bytes"], 200)))
            result = {"sockets": n, "stack": stack, "bare_same": same, "bare_item": small, "load": os.getloadavg()[0]}
            print(report(result), file=sys.stderr, flush=True)  # progress: a long run shows each size as it ends
            results.append(result)
    finally:
        bare.terminate()
        bare.wait()
    return results


def report(r: dict) -> str:
    stack, same, small = r["stack"], r["bare_same"], r["bare_item"]
    return "\n".join(
        [
            f"{r['sockets']} sockets, frame {stack['frame_bytes']} B (one item would be {stack['item_bytes']} B), "
            f"{stack['bytes_per_socket_per_write']:.0f} B in {stack['frames_per_socket_per_write']:.1f} frames "
            f"per socket per write; load {r['load']:.1f}",
            "  " + row("stack", stack) + f" (first socket {stack['first']:.0f} ms)",
            "  " + row("bare, same bytes", same) + f"  → stack/bare p95 {stack['p95'] / max(same['p95'], 0.1):.1f}x",
            "  "
            + row(f"bare, one item ({max(stack['item_bytes'], 200)} B)", small)
            + f"  → stack/bare p95 {stack['p95'] / max(small['p95'], 0.1):.1f}x",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sockets", nargs="*", type=int, default=[100, 500, 1000])
    parser.add_argument("--writes", type=int, default=10)
    parser.add_argument("--runs", type=int, default=1, help="measure every size this many times, interleaved")
    args = parser.parse_args()
    with running_app() as app:
        app.lag(delay_ms=0, jitter_ms=0, failure_rate=0, replica_lag="slow=0")
        results = measure(app, args.sockets, args.writes, args.runs)
    print("\n".join(report(r) for r in results))


if __name__ == "__main__":
    main()
