import asyncio
import random
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from demos.groups import CONTROL, LAG, session_group

from . import coalesce, fanout, regions, room, watchers


class LiveConsumer(AsyncWebsocketConsumer):
    """Forwards pushed HTML fragments of the groups a page asked for (`?g=curtain&g=...`).

    Every connect, first or after a drop, starts with a snapshot of each group, so whatever
    was pushed while the socket was down is not missing afterwards.
    """

    async def connect(self) -> None:
        asked = parse_qs(self.scope["query_string"].decode()).get("g", [])
        staff = await database_sync_to_async(self._is_staff)()
        known = regions.known_groups() - ({CONTROL} if not staff else set())
        self.joined = [LAG, *sorted({g for g in asked if g in known and g != LAG})]
        session = self.scope.get("session")
        if session is not None and session.session_key:
            self.joined.append(session_group(session.session_key))
        # Counted as a watcher of what is redrawn before the snapshots render: see push/watchers.py.
        self.watching = [g for g in self.joined if g in known]
        await watchers.beat(self.watching, self.channel_name)
        self.heartbeat = asyncio.create_task(self._beat())
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        for group in self.joined:
            for message in await database_sync_to_async(regions.snapshot)(group):
                await self.send(text_data=message)
        if not staff:  # the presenter's own screens are not the audience
            await self._join_room(session.session_key if session is not None and session.session_key else "")

    async def websocket_connect(self, message: dict) -> None:
        await super().websocket_connect(message)
        fanout.direct(self)  # connected, snapshots sent: group pushes now come in one pass

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        if heartbeat := getattr(self, "heartbeat", None):
            heartbeat.cancel()
            await watchers.leave(self.watching, self.channel_name)
        if member := getattr(self, "member", None):
            await room.leave(member)
            await self._room_changed()

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """Pages only listen; anything they send is ignored."""

    async def dispatch(self, message: dict) -> None:
        # Channels closes stale database connections before every handler: one hop through
        # the single sync thread per socket, so a group push to N sockets queued N hops in a
        # row. Forwarding a rendered fragment touches no database.
        if message["type"] == "html.fragment":
            await self.html_fragment(message)
        else:
            await super().dispatch(message)

    async def html_fragment(self, event: dict) -> None:
        # Straight to the server: the same message AsyncWebsocketConsumer.send builds, one
        # hop fewer on the path every socket of a group push takes.
        await self.base_send({"type": "websocket.send", "text": event["html"]})

    def _is_staff(self) -> bool:
        user = self.scope.get("user")
        return bool(user and user.is_active and user.is_staff)

    async def _join_room(self, session_key: str) -> None:
        # A device is its session; a first visit without one counts by its socket.
        self.member = room.member(session_group(session_key) if session_key else self.channel_name, self.channel_name)
        await room.beat(self.member)
        await self._room_changed()

    async def _beat(self) -> None:
        """Still here: in every group joined, and in the room for an audience device.

        Each socket beats at a phase of its own: a room that scanned the QR code at once would
        otherwise beat at once, a thousand Redis round trips in one moment every HEARTBEAT_S,
        and a push falling on that moment waits behind them all."""
        await asyncio.sleep(random.uniform(0, watchers.HEARTBEAT_S))
        while True:
            await watchers.beat(self.watching, self.channel_name)
            if member := getattr(self, "member", None):
                await room.beat(member)
            await asyncio.sleep(watchers.HEARTBEAT_S)

    async def _room_changed(self) -> None:
        """Redrawn by a task, coalesced: a room of phones arriving at once is one redraw."""
        await sync_to_async(coalesce.changed, thread_sensitive=False)(regions.ROOM_BADGE)
