"""Daphne on uvloop's event loop: `python -m showcase.serve` takes Daphne's own arguments.

Daphne runs Twisted on an asyncio loop it creates when it is imported; with uvloop's policy set
first, that loop is uvloop's. Every socket of a group push wakes a task, is written to and is
watched for writability by that loop: with 1,000 sockets open, uvloop's loop (written in C)
halved the p95 from a replica's apply to the last socket's receipt (bench/fanout.py). Without
uvloop installed it is plain Daphne.
"""

import asyncio
import sys


def main() -> int:
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
