"""Live lists: each write a replica settles is pushed alone, as one item, into the lists that
show it; a page puts it in place (push/regions.py live_item, static/showcase/patch.js).

Items of a stream are numbered in Redis, across every process, so a page that sees a number
skip knows it missed one and fetches its list again; one whose numbers come from another epoch
(Redis lost its data and counts from 1 again) does too. The whole list a socket gets on
(re)connect carries the number it is current to.
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


def item_html(delivery: Delivery) -> str:
    """One settled write, as a live list shows it."""
    return render_to_string("demos/_items.html", {"items": [item_of(delivery)]}).strip()
