"""Live lists: each write a replica settles is pushed alone, as one item, into the lists that
show it; a page puts it in place (static/showcase/live.js).

Frames of a stream are numbered in Redis, across every process, so a page that sees a number
skip knows it missed one and refetches its list; one whose numbers come from another epoch (Redis
lost its data and counts from 1 again) refetches too. The snapshot a socket gets on (re)connect
carries the number it is current to.
"""

from django.template.loader import render_to_string

from showcase.redis_client import Numbered, numbered
from store.models import Delivery

from .reads import Item


def _seq_key(stream: str) -> str:
    return f"push:seq:{stream}"


def current_seq(stream: str) -> Numbered:
    return numbered(_seq_key(stream), advance=False)


def next_seq(stream: str) -> Numbered:
    return numbered(_seq_key(stream))


def item_of(delivery: Delivery) -> Item:
    event = delivery.event
    rejected = delivery.state == Delivery.REJECTED
    return Item(
        event.key, event.text, event.pk, "rejected" if rejected else "confirmed", event.reason if rejected else ""
    )


def frame(list_id: str, delivery: Delivery, seq: Numbered) -> str:
    """One settled write for the list `list_id`, numbered `seq` in its stream."""
    context = {"list_id": list_id, "items": [item_of(delivery)], "seq": seq.number, "epoch": seq.epoch}
    return render_to_string("demos/_live_frame.html", context)


def seq_marker(stream: str, seq: Numbered) -> str:
    """Where a page keeps the number of the last frame its list is current to, and its epoch."""
    context = {"stream": stream, "seq": seq.number, "epoch": seq.epoch, "oob": True}
    return render_to_string("demos/_live_frame.html#seq", context)
