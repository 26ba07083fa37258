"""A group's snapshot rendered once for every socket that needs it at the same moment.

Every socket starts with a snapshot of each group it joined (push/consumers.py): drawn after it
joined, it holds everything pushed before. A room arriving at once (following the projector,
or back after a restart) is a thousand sockets asking for the same few snapshots within a
second, each a render in the process's one database thread. Here a socket that joined its group
before a render of that group started shares it: that render began after the socket could
receive pushes, so it holds everything the socket could have missed, exactly what a render of
its own would hold. A socket that joined after the render started waits for the next one.
"""

import asyncio
import time

from channels.db import database_sync_to_async

from . import regions


class Snapshots:
    """One per process (its event loop): the render of each group in flight, with its start."""

    def __init__(self, render=regions.snapshot) -> None:
        self.render = database_sync_to_async(render)
        self.flights: dict[str, tuple[float, asyncio.Future]] = {}

    async def of(self, group: str, joined_at: float) -> list[str]:
        """The snapshot of `group` for a socket that joined it at `joined_at` (time.monotonic())."""
        flight = self.flights.get(group)
        if flight is None or flight[0] < joined_at:
            flight = (time.monotonic(), asyncio.ensure_future(self.render(group)))
            self.flights[group] = flight
            flight[1].add_done_callback(lambda _, f=flight: self._landed(group, f))
        return await asyncio.shield(flight[1])

    def _landed(self, group: str, flight) -> None:
        if self.flights.get(group) is flight:
            del self.flights[group]


shared = Snapshots()
