"""What one phone's steps cost the server, in CPU: the room's multipliers.

    .venv/bin/python -m bench.phone_cost [PHONES] [ROUNDS]

PHONES (default 100) simulated phones join through /join/ (so they follow, and get the shared
follower page), then do each step all at once, ROUNDS times (default 3): the CPU every process
of the app used (from /proc), divided by the steps taken. One web process, so a step's cost is
not split across processes. Beside it, in the same run, the baseline: /healthz, the cheapest
request Daphne and the edge answer (a bare HTTP round trip through the same server).

A follow is a page load plus the old socket's close and the new one's connect with its
snapshots; 1,000 phones following is 1,000 of each within the follow's jitter (0.8 s), on two
cores shared with everything else.
"""

import asyncio
import os
import sys
import time

import websockets

from bench.common import running_app
from bench.room import cpu_ticks
from bench.room_client import Client, Stats

PAGE = "/demos/push/"
SOCKET = "/ws/live/?g=lag&g=stream.push&g=follow"  # what a following phone's page opens there


async def measure(phones: list[Client], pids: list[int], rounds: int) -> list[tuple[str, float, float]]:
    base = phones[0]
    url = f"ws://{base.host}:{base.port}{SOCKET}"

    async def healthz(p: Client) -> None:
        await p.request("GET", "/healthz")

    async def page(p: Client) -> None:
        await p.request("GET", PAGE, kind="page")

    async def socket(p: Client) -> None:
        headers = {"Origin": p.base, "Cookie": "; ".join(f"{k}={v}" for k, v in p.cookies.items())}
        async with websockets.connect(url, additional_headers=headers) as ws:
            for _ in range(3):  # the snapshots of lag, the demo's stream and follow
                await ws.recv()

    rows = []
    for name, step in (("/healthz (baseline)", healthz), ("followed page", page), ("socket connect + close", socket)):
        ticks, started = cpu_ticks(pids), time.monotonic()
        for _ in range(rounds):
            await asyncio.gather(*(step(p) for p in phones))
        steps = rounds * len(phones)
        cpu_ms = 1000 * (cpu_ticks(pids) - ticks) / os.sysconf("SC_CLK_TCK") / steps
        rows.append((name, cpu_ms, 1000 * (time.monotonic() - started) / steps))
    return rows


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with running_app(supervised=True, WEB_PROCESSES="1") as app:
        pids = [p.pid for p in app.stack.procs.values()]

        async def run():
            stats = Stats()
            phones = [Client(app.url, stats) for _ in range(size)]
            for p in phones:
                await p.open("/join/")
            await asyncio.gather(*(p.leave_page() for p in phones))
            return await measure(phones, pids, rounds)

        rows = asyncio.run(run())
    print(f"{size} phones at once, {rounds} rounds, 1 web process, load {os.getloadavg()[0]:.1f}:")
    for name, cpu_ms, wall_ms in rows:
        print(f"  {name:<24} {cpu_ms:5.2f} ms of server CPU a phone ({wall_ms:.1f} ms of wall time a phone)")
    follow = rows[1][1] + rows[2][1]  # a page and a socket (its close included)
    print(f"  a follow (page + socket): {follow:.1f} ms; 1,000 phones: {follow:.1f} s of CPU")


if __name__ == "__main__":
    main()
