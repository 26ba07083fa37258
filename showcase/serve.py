"""Daphne on uvloop's event loop: `python -m showcase.serve` takes Daphne's own arguments.

Daphne runs Twisted on an asyncio loop it creates when it is imported; with uvloop's policy set
first, that loop is uvloop's. Every socket of a group push wakes a task, is written to and is
watched for writability by that loop: with 1,000 sockets open, uvloop's loop (written in C)
halved the p95 from a replica's apply to the last socket's receipt (bench/fanout.py). Without
uvloop installed it is plain Daphne.

On PostgreSQL its requests share a pool of connections (DATABASE_POOL, at most that many open;
showcase/settings.py): each request runs in a thread of its own, and would otherwise connect anew.
"""

import asyncio
import os
import sys

POOL_SIZE = "40"


def main() -> int:
    os.environ.setdefault("DATABASE_POOL", POOL_SIZE)
    try:
        import uvloop
    except ImportError:
        pass
    else:
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    from daphne.cli import CommandLineInterface

    return CommandLineInterface.entrypoint()


if __name__ == "__main__":
    sys.exit(main())
