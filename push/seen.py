"""The "seen" reports of a page, over its socket: a room's phones say what they rendered without
an HTTP request each.

A settled write pushed to a room is rendered by every phone, and each reported it with a POST
(static/showcase/seen.js): a thousand requests through the whole middleware chain for one write,
each a read of the log. Over the socket a report is a frame; each process gathers what its
sockets reported for REPORT_EVERY_S and keeps the first time anyone saw each write in one
statement (store/trace.py). A report is as strict as the beacon's (demos/seen.py): tokens this
server signed, 1 to 100 a frame; anything else is ignored. The first report now waits at most
REPORT_EVERY_S more: the timeline's "seen" ends that much later.
"""

import asyncio
import json
import logging

from channels.db import database_sync_to_async

from demos import seen
from store import trace

log = logging.getLogger(__name__)

REPORT_EVERY_S = 0.1
MAX_FRAME = 16 * 1024  # 100 tokens of a few dozen bytes, with room to spare


def keys_in(frame: str) -> list[str]:
    """The keys a socket's frame reports seen; [] for any other frame."""
    if len(frame) > MAX_FRAME:
        return []
    try:
        report = json.loads(frame)
        return seen.keys_of(report["seen"]) if isinstance(report, dict) else []
    except (ValueError, KeyError, TypeError):  # seen.BadReport is a ValueError
        return []


class Reports:
    """One per process: the keys its sockets reported, kept together every REPORT_EVERY_S."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.flushing: asyncio.Task | None = None

    def add(self, keys: list[str]) -> None:
        self.keys.update(keys)
        if self.keys and self.flushing is None:
            self.flushing = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        try:
            await asyncio.sleep(REPORT_EVERY_S)
            keys, self.keys = sorted(self.keys), set()
            # One statement a tenth of a second for the whole process: the database thread.
            await database_sync_to_async(trace.mark_seen)(keys)
        except Exception:  # noqa: BLE001 - a lost report costs a timeline its end, never a socket
            log.warning("seen reports not kept", exc_info=True)
        finally:
            self.flushing = None
            self.add([])  # what was reported while this one was kept goes next


shared = Reports()
