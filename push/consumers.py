from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from demos.groups import LAG, session_group

from . import regions


class LiveConsumer(AsyncWebsocketConsumer):
    """Forwards pushed HTML fragments of the groups a page asked for (`?g=curtain&g=...`).

    Every connect, first or after a drop, starts with a snapshot of each group, so whatever
    was pushed while the socket was down is not missing afterwards.
    """

    async def connect(self) -> None:
        asked = parse_qs(self.scope["query_string"].decode()).get("g", [])
        known = regions.known_groups()
        self.joined = [LAG, *sorted({g for g in asked if g in known and g != LAG})]
        session = self.scope.get("session")
        if session is not None and session.session_key:
            self.joined.append(session_group(session.session_key))
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        for group in self.joined:
            if snapshot := await database_sync_to_async(regions.snapshot)(group):
                await self.send(text_data=snapshot)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """Pages only listen; anything they send is ignored."""

    async def html_fragment(self, event: dict) -> None:
        await self.send(text_data=event["html"])
