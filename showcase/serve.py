"""Daphne on uvloop's event loop: `python -m showcase.serve` takes Daphne's own arguments.

Daphne runs Twisted on an asyncio loop it creates when it is imported; with uvloop's policy set
first, that loop is uvloop's. Every socket of a group push wakes a task, is written to and is
watched for writability by that loop: with 1,000 sockets open, uvloop's loop (written in C)
halved the p95 from a replica's apply to the last socket's receipt (bench/fanout.py). Without
uvloop installed it is plain Daphne.

Once Daphne runs, everything alive (Django, Channels, the app: some hundred thousand objects that
live as long as the process) is frozen out of the garbage collector's reach (gc.freeze): a full
collection scanned them all, 200 ms in which no socket got its frame. bench.fanout 1000 with one
Daphne, alternated: p95 194 and 204 ms frozen, 301 ms not; full collections 14-162 ms against
78-210 ms (gc.callbacks).

On PostgreSQL its requests share a pool of connections (DATABASE_POOL, at most that many open;
showcase/settings.py): each request runs in a thread of its own, and would otherwise connect anew.
"""

import asyncio
import gc
import os
import sys

POOL_SIZE = "40"


def main() -> int:
    os.environ.setdefault("DATABASE_POOL", POOL_SIZE)
    os.environ.setdefault("SHOWCASE_WEB_PROCESS", "1")  # its SQLite connections checkpoint nothing
    try:
        import uvloop
    except ImportError:
        pass
    else:
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    from daphne.cli import CommandLineInterface
    from twisted.internet import reactor  # Daphne's asyncio reactor: importing daphne.cli installed it

    reactor.callWhenRunning(gc.freeze)

    return CommandLineInterface.entrypoint()


if __name__ == "__main__":
    sys.exit(main())
