"""Publishing to a Channels group: one PUBLISH however many sockets listen."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def send(group: str, html: str) -> None:
    async_to_sync(get_channel_layer().group_send)(group, {"type": "html.fragment", "html": html})
