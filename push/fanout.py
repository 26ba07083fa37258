"""A group push reaches this process's sockets in one pass, not one task per socket.

channels_redis hands a group message to each member socket's queue; each socket's consumer
then wakes on its own (a task, a wait, a decode of the same bytes, a dispatch) only to forward
the fragment. For a thousand sockets that is a thousand turns of the event loop before the
last one sends (bench/fanout.py). Once a socket is connected, its queue instead decodes the
message once for all the sockets it reaches, and one task forwards every fragment of the
message to every socket, in arrival order. Anything else still goes through the queue.

A socket whose queue holds messages (still connecting, or slow) keeps the queue for what comes
next, so its frames are never sent out of order; so does a socket whose consumer holds its
pushes back (moving to another page's groups until their snapshots are sent, or deciding
whether a pushed page is for it: push/consumers.py).
"""

import asyncio
import logging

logger = logging.getLogger(__name__)

FRAGMENT = "html.fragment"
SLICE = 100  # sockets sent to between two turns of the loop: a thousand took 35 ms in one go
_pending: list[tuple[object, str]] = []  # (consumer, html), in arrival order
_flushing = False  # one flush at a time, so two messages never overtake each other
_decoded: tuple[bytes | None, dict] = (None, {})  # the last message decoded: one group message, many queues


def direct(consumer) -> None:
    """From now on group fragments for `consumer` skip its queue (see the module's doc)."""
    per_loop = getattr(consumer.channel_layer, "_get_layer", None)  # channels_redis's pub/sub layer only
    queue = per_loop().channels.get(consumer.channel_name) if per_loop else None
    if queue is None:
        return
    put = queue.put_nowait

    def put_nowait(data: bytes) -> None:
        message = _decode(consumer.channel_layer, data)
        if message.get("hold"):
            # Sent to be handled before the fragments after it (push/channel.py), even once the
            # consumer has taken it off its queue: held from the moment it is queued; the
            # consumer lets go when it has handled it.
            consumer.holding = True
        if message.get("type") != FRAGMENT or not queue.empty() or getattr(consumer, "holding", False):
            put(data)
            return
        _pending.append((consumer, message["html"]))
        _start_flush()

    # The layer's receiver calls `channels[name].put_nowait(data)` for each member of a group.
    queue.put_nowait = put_nowait


def _decode(layer, data: bytes) -> dict:
    global _decoded
    if _decoded[0] is not data:
        _decoded = (data, layer.deserialize(data))
    return _decoded[1]


def _start_flush() -> None:
    global _flushing
    if not _flushing:
        _flushing = True
        asyncio.get_running_loop().create_task(_flush())


async def _flush() -> None:
    global _flushing
    try:
        # Started on the next turn of the loop: every socket the message reached is in the batch.
        await asyncio.sleep(0)
        while _pending:
            batch = _pending[:]
            _pending.clear()
            for i, (consumer, html) in enumerate(batch, 1):
                try:
                    # Daphne buffers the frame and returns: a slice of the batch goes in one turn.
                    await consumer.base_send({"type": "websocket.send", "text": html})
                except Exception:  # one closed socket must not cost the others their push
                    logger.exception("a pushed fragment could not be sent")
                if i % SLICE == 0:
                    # The loop's other work (the presenter's next request) waits at most a slice.
                    await asyncio.sleep(0)
    finally:
        _flushing = False
