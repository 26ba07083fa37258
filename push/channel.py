"""Publishing to a Channels group: one PUBLISH however many sockets listen.

Sends come from sync code (the worker's tasks, the web's sync views). `async_to_sync` would
start a fresh event loop for each, and the channel layer, which keeps one Redis connection per
loop, a fresh connection with it: 5 ms a send where the PUBLISH itself takes 0.2 ms. So each
process keeps one loop, in a thread of its own, for the layer to publish from.
"""

import asyncio
import os
import threading
from concurrent.futures import TimeoutError as FutureTimeout

from channels.layers import get_channel_layer

from . import sent

SEND_TIMEOUT_S = 10


class _Loop:
    """An event loop running in a daemon thread, for this process only."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="channel-layer-publisher", daemon=True).start()

    def run(self, coroutine):
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(SEND_TIMEOUT_S)
        except FutureTimeout:
            future.cancel()
            raise TimeoutError(f"the channel layer did not publish within {SEND_TIMEOUT_S} s") from None


_loop: _Loop | None = None
_lock = threading.Lock()


def _publisher() -> _Loop:
    """This process's loop; a forked child (a Celery pool process) starts its own."""
    global _loop
    with _lock:
        if _loop is None or _loop.pid != os.getpid():
            _loop = _Loop()
        return _loop


def send(group: str, html: str, kind: str = "html.fragment", hold: bool = False, counted: bool = True) -> None:
    """`hold`: the group's fragments after this message wait until a socket's consumer has
    handled it (push/fanout.py). `counted`: whether it changes what a moved socket's snapshot may
    skip (push/sent.py); not a patched region's numbered drawing, which the snapshot always
    holds whole (push/patch.py), nor a region the snapshot does not hold."""
    if counted:
        sent.advance(group)  # before the send: a socket that reads the count after it joined misses nothing uncounted
    message = {"type": kind, "html": html}
    if hold:
        message["hold"] = True
    _publisher().run(get_channel_layer().group_send(group, message))
