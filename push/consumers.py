import asyncio
import logging
import random
import time
from urllib.parse import parse_qs

import redis
from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer

from demos.groups import CONTROL, LAG, session_group

from . import coalesce, fanout, follow, regions, room, seen, snapshots, tickets, watchers

log = logging.getLogger(__name__)


class LiveConsumer(AsyncWebsocketConsumer):
    """Forwards pushed HTML fragments of the groups a page asked for (`?g=curtain&g=...`).

    Every connect, first or after a drop, starts with a snapshot of each group, so whatever
    was pushed while the socket was down is not missing afterwards.
    """

    async def connect(self) -> None:
        # Nothing here waits for the database thread (push/tickets.py, push/snapshots.py): a
        # room reconnecting at once queued there one socket after another, the projector's
        # among them.
        query = parse_qs(self.scope["query_string"].decode())
        self.session_key = session_key = tickets.session_key(self.scope)
        self.staff = tickets.is_staff(query.get("staff", [""])[0], session_key)
        self.joined = self._groups(query.get("g", []))
        # Counted as a watcher of what is redrawn before the snapshots render: see push/watchers.py.
        self.watching = self._watched(self.joined)
        await watchers.beat(self.watching, self.channel_name)
        self.heartbeat = asyncio.create_task(self._beat())
        await asyncio.gather(*(self.channel_layer.group_add(g, self.channel_name) for g in self.joined))
        joined_at = time.monotonic()
        await self.accept()
        await self._snapshots(self.watching, joined_at)
        if not self.staff:  # the presenter's own screens are not the audience
            await self._join_room(session_key)

    def _groups(self, asked: list[str]) -> list[str]:
        """What a page may join of the groups it asks for: the live ones (the control panel's for
        staff only), the lag badge's always, and its session's own."""
        known = regions.known_groups() - ({CONTROL} if not self.staff else set())
        joined = [LAG, *sorted({g for g in asked if g in known and g != LAG})]
        if self.session_key:
            joined.append(session_group(self.session_key))
        return joined

    @staticmethod
    def _watched(groups: list[str]) -> list[str]:
        # A session's own group has no snapshot: what it shows is on the page already.
        return [g for g in groups if g in regions.known_groups()]

    async def _snapshots(self, groups: list[str], joined_at: float, drawn: dict[str, str] | None = None) -> None:
        """Each group's snapshot, drawn after the socket joined it; `drawn`: the counts of a page
        swapped in (push/sent.py): of a group that has been sent nothing since, only what the page
        cannot have (a patched region's numbering)."""
        drawings = await asyncio.gather(*(snapshots.shared.of(g, joined_at) for g in groups))
        for group, drawing in zip(groups, drawings, strict=True):
            for message in drawing.for_page((drawn or {}).get(group)):
                await self.send(text_data=message)

    async def _move(self, asked: list[str], drawn: dict[str, str]) -> None:
        """The page swapped in another (a phone following the projector, static/showcase/follow.js):
        the socket leaves the groups only the old page had, joins the new page's, and starts each
        new one with its snapshot, as a connect does, less what the page shows already (`drawn`).
        Until the snapshots are sent, group pushes queue behind them (push/fanout.py), so none is
        overwritten by an older drawing."""
        joined = self._groups(asked)
        watching = self._watched(joined)
        gone = [g for g in self.joined if g not in joined]
        new = [g for g in joined if g not in self.joined]
        self.holding = True
        try:
            await asyncio.gather(
                *(self.channel_layer.group_discard(g, self.channel_name) for g in gone),
                watchers.leave([g for g in self.watching if g not in watching], self.channel_name),
                watchers.beat([g for g in watching if g not in self.watching], self.channel_name),
                *(self.channel_layer.group_add(g, self.channel_name) for g in new),
            )
            self.joined, self.watching = joined, watching
            await self._snapshots([g for g in new if g in watching], time.monotonic(), drawn)
        finally:
            self.holding = False

    async def websocket_connect(self, message: dict) -> None:
        await super().websocket_connect(message)
        fanout.direct(self)  # connected, snapshots sent: group pushes now come in one pass

    async def disconnect(self, code: int) -> None:
        leaving = [self.channel_layer.group_discard(g, self.channel_name) for g in getattr(self, "joined", [])]
        if heartbeat := getattr(self, "heartbeat", None):
            heartbeat.cancel()
            leaving.append(watchers.leave(self.watching, self.channel_name))
        if member := getattr(self, "member", None):
            leaving.append(room.leave(member))
            await self._room_changed()
        # At once: a room leaving a page is a thousand of these. What Redis could not take now
        # (a room arriving at once holds its connections) ages out with the heartbeat instead.
        for failed in await asyncio.gather(*leaving, return_exceptions=True):
            if isinstance(failed, (redis.RedisError, OSError)):
                log.warning("a socket's leaving was not kept: it ages out (%s)", failed)
            elif isinstance(failed, BaseException):
                raise failed

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """A page says what it rendered (push/seen.py) and, swapped for another, the groups it
        needs now (push/follow.py); anything else is ignored."""
        if not text_data:
            return
        if keys := seen.keys_in(text_data):
            seen.shared.add(keys)
        elif (move := follow.move_in(text_data)) is not None:
            await self._move(move.groups, move.drawn)

    async def dispatch(self, message: dict) -> None:
        # Channels closes stale database connections before every handler: one hop through
        # the single sync thread per socket, so a group push to N sockets queued N hops in a
        # row, and a room's connects and closes as many. No handler here touches the database
        # itself (a snapshot's render closes them around its own hop).
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def html_fragment(self, event: dict) -> None:
        # Straight to the server: the same message AsyncWebsocketConsumer.send builds, one
        # hop fewer on the path every socket of a group push takes.
        await self.base_send({"type": "websocket.send", "text": event["html"]})

    async def follow_page(self, event: dict) -> None:
        """The page the projector moved to, as every phone that wrote nothing there is shown it:
        sent to such a phone only (a phone that wrote on it sees its own writes there, and loads it)."""
        # The marker that follows it must not overtake it while who wrote is read: held since
        # this message was queued (push/fanout.py, `hold`).
        self.holding = True
        try:
            page = follow.page_path(event["html"])
            if not self.staff and not await follow.writers.wrote(self.session_key, page):
                await self.base_send({"type": "websocket.send", "text": event["html"]})
        finally:
            self.holding = False

    async def _join_room(self, session_key: str) -> None:
        # A device is its session; a first visit without one counts by its socket.
        self.member = room.member(session_group(session_key) if session_key else self.channel_name, self.channel_name)
        try:
            await room.beat(self.member)
        except (redis.RedisError, OSError):
            # Redis busy for a moment: the socket stays, and its next heartbeat counts it.
            log.warning("a device's arrival was not counted yet", exc_info=True)
        await self._room_changed()

    async def _beat(self) -> None:
        """Still here: in every group joined, and in the room for an audience device.

        Each socket beats at a phase of its own: a room that scanned the QR code at once would
        otherwise beat at once, a thousand Redis round trips in one moment every HEARTBEAT_S,
        and a push falling on that moment waits behind them all."""
        await asyncio.sleep(random.uniform(0, watchers.HEARTBEAT_S))
        while True:
            try:
                await watchers.beat(self.watching, self.channel_name)
                if member := getattr(self, "member", None):
                    await room.beat(member)
            except (redis.RedisError, OSError):
                # Redis slow or away for a moment (a room arriving at once): the next beat says it.
                log.warning("a socket's heartbeat was not kept", exc_info=True)
            await asyncio.sleep(watchers.HEARTBEAT_S)

    async def _room_changed(self) -> None:
        """Redrawn by a task, coalesced: a room of phones arriving at once is one redraw."""
        _room_changes.note()


class _RoomChanges:
    """This process tells the room's redraw at most once per SETTLE_S: a room arriving or
    leaving at once was three Redis round trips per socket for the same news."""

    SETTLE_S = 0.25

    def __init__(self) -> None:
        self.pending = False

    def note(self) -> None:
        if self.pending:
            return
        self.pending = True
        asyncio.get_running_loop().call_later(self.SETTLE_S, lambda: asyncio.ensure_future(self._tell()))

    async def _tell(self) -> None:
        self.pending = False
        await sync_to_async(coalesce.changed, thread_sensitive=False)(regions.ROOM_BADGE)


_room_changes = _RoomChanges()
