"""A group's snapshot rendered once for every socket that needs it at the same moment.

Every socket starts with a snapshot of each group it joined (push/consumers.py): drawn after it
joined, it holds everything pushed before. A room arriving at once (following the projector,
or back after a restart) is a thousand sockets asking for the same few snapshots within a
second, each a render in the process's one database thread. Here a socket that joined its group
before a render of that group began shares it: that render began after the socket could receive
pushes, so it holds everything the socket could have missed, exactly what a render of its own
would hold. Sockets that joined after it began wait together for the next render, which begins
when this one ends: at most one render of a group runs, and one waits.
"""

import asyncio
import time
from dataclasses import dataclass

from channels.db import database_sync_to_async

from . import regions


@dataclass
class _Group:
    current: asyncio.Future | None = None  # the render in flight
    began: float = 0.0  # when it began (time.monotonic())
    next: asyncio.Future | None = None  # for sockets that joined after it began


class Snapshots:
    """One per process (its event loop)."""

    def __init__(self, render=regions.drawing) -> None:
        self.render = database_sync_to_async(render)
        self.groups: dict[str, _Group] = {}

    async def of(self, group: str, joined_at: float) -> regions.Drawing:
        """The snapshot of `group` for a socket that joined it at `joined_at` (time.monotonic())."""
        g = self.groups.setdefault(group, _Group())
        if g.current is not None and g.began >= joined_at:
            drawing = g.current
        elif g.next is not None:
            drawing = g.next
        else:
            drawing = g.next = asyncio.get_running_loop().create_future()
            if g.current is None:
                self._begin(group, g)
        return await asyncio.shield(drawing)

    def _begin(self, group: str, g: _Group) -> None:
        drawing, g.next = g.next, None
        g.current, g.began = drawing, time.monotonic()
        task = asyncio.ensure_future(self.render(group))

        def landed(task: asyncio.Future) -> None:
            if task.cancelled():
                drawing.cancel()
            elif (error := task.exception()) is not None:
                drawing.set_exception(error)
            else:
                drawing.set_result(task.result())
            g.current = None
            if g.next is not None:
                self._begin(group, g)

        task.add_done_callback(landed)


shared = Snapshots()
