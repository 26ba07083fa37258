"""The yardstick for push fan-out: a bare `websockets` server in one process that sends one
message to every listening socket, the way a hand-written broadcast server would.

.venv/bin/python -m bench.bare_broadcast PORT

Sockets on /listen receive; a socket on /control sends "<marker> <size>" and gets back the
time (epoch seconds) just before the broadcast of a message of `size` bytes holding the marker.
"""

import asyncio
import sys
import time

from websockets.asyncio.server import broadcast, serve

LISTENERS = set()


async def handler(ws) -> None:
    if ws.request.path == "/listen":
        LISTENERS.add(ws)
        try:
            await ws.wait_closed()
        finally:
            LISTENERS.discard(ws)
        return
    async for command in ws:
        marker, size = command.split()
        message = (marker + " ").ljust(int(size), "x")
        started = time.time()
        broadcast(LISTENERS, message)
        await ws.send(f"{started:.6f}")


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, max_size=None):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
