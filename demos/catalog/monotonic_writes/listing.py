"""A listing edited by commands ("price 40", "publish"), as a replica shows it.

Every write carries `after`: the position of its session's previous write in this stream (0:
none). The naive replica applies each write the moment it arrives, so with jitter or reorder a
session's "publish" can land before its "price 40": the listing goes live at the old price.
The trick applies a session's writes in session order: a write whose `after` has not arrived
is held back, and the pane says which write it waits for. Both are read from one snapshot.
"""

import re
from dataclasses import dataclass, field

from demos.reads import LIMIT, Item
from store.models import Delivery, Event
from store.snapshot import snapshot

SLUG = "monotonic-writes"
# Applies each write the moment it arrives: with reorder on, a later write can overtake.
REPLICA = "arrival"
PRICE = re.compile(r"^price\s+(\d{1,6})\b", re.I)
STATE = {Delivery.APPLIED: "confirmed", Delivery.REJECTED: "rejected"}


@dataclass(frozen=True)
class Write:
    item: Item
    after: int  # the session's write before this one (0: none)
    held: bool = False  # arrived, but waits for `after` (trick only)


@dataclass
class Listing:
    price: int | None = None
    published: bool = False
    price_at: int = 0  # the write that set the price shown
    published_at: int = 0  # the write that published it
    notes: list[str] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)  # newest first
    # Published while its session's price write, written before "publish", had not been applied.
    early: list[Write] = field(default_factory=list)
    waiting_for: list[int] = field(default_factory=list)  # positions held writes wait for
    floor: int = 0  # the window's oldest position when the stream has more (0: all of it)


def command(text: str) -> tuple[str, int | None]:
    """("price", euros), ("publish", None) or ("note", None)."""
    if match := PRICE.match(text.strip()):
        return "price", int(match[1])
    if text.strip().lower().rstrip(".!") in ("publish", "publish the listing", "publish listing"):
        return "publish", None
    return "note", None


def after_of(session_ref: str, key: str) -> int:
    """The position of the session's last write in this stream, not counting `key` itself (a
    retried write carries the same `after` as its first try)."""
    if not session_ref:
        return 0
    last = Event.objects.filter(stream=SLUG, session_key=session_ref).exclude(key=key).order_by("-id").first()
    return last.pk if last else 0


def _load(limit: int) -> tuple[list[Event], dict[int, Delivery]]:
    events = list(Event.objects.filter(stream=SLUG).order_by("-id")[:limit])[::-1]
    deliveries = Delivery.objects.filter(replica_id=REPLICA, event__in=events)
    return events, {d.event_id: d for d in deliveries}


def _floor(events: list[Event], limit: int) -> int:
    return events[0].pk if events and len(events) >= limit else 0


def _after(event: Event, by_position: dict[int, Event]) -> int:
    """The write this one follows, if the window shows it (0: none, or older than the window)."""
    after = event.payload.get("after", 0)
    return after if after in by_position else 0


def _item(event: Event, delivery: Delivery | None) -> Item:
    state = STATE.get(delivery.state, "pending") if delivery else "pending"
    return Item(event.key, event.text, event.pk, state, event.reason if state == "rejected" else "")


def _apply(listing: Listing, write: Write, earlier: set[int], by_position: dict[int, Event]) -> None:
    """One write applied to the listing, in the order the replica (or its session buffer) let it."""
    if write.item.state != "confirmed":
        return
    kind, price = command(write.item.text)
    if kind == "price":
        listing.price, listing.price_at = price, write.item.position
    elif kind == "publish":
        listing.published, listing.published_at = True, write.item.position
        # Went live before a price its session had set first: the listing shows the old price.
        before = by_position.get(write.after)
        if before is not None and command(before.text)[0] == "price" and write.after not in earlier:
            listing.early.append(write)
    else:
        listing.notes.append(write.item.text)


def as_arrived(limit: int = LIMIT) -> Listing:
    """Naive: every write the replica has, applied in the order they arrived."""
    with snapshot():
        events, deliveries = _load(limit)
    by_position = {e.pk: e for e in events}
    arrived = sorted((d for d in deliveries.values() if d.state != Delivery.QUEUED), key=lambda d: d.apply_seq or 0)
    listing, seen = Listing(floor=_floor(events, limit)), set()
    for delivery in arrived:
        event = by_position[delivery.event_id]
        write = Write(_item(event, delivery), _after(event, by_position))
        _apply(listing, write, seen, by_position)
        seen.add(event.pk)
        listing.writes.insert(0, write)
    return listing


def in_session_order(limit: int = LIMIT) -> Listing:
    """Trick: a session's writes are applied in session order. A write that arrived before the
    write it follows is held back until that one has arrived (or the window no longer has it)."""
    with snapshot():
        events, deliveries = _load(limit)
    by_position = {e.pk: e for e in events}
    arrived = sorted((d for d in deliveries.values() if d.state != Delivery.QUEUED), key=lambda d: d.apply_seq or 0)
    listing, released, held = Listing(floor=_floor(events, limit)), set(), []

    def ready(event: Event) -> bool:
        after = _after(event, by_position)
        return not after or after in released

    def release(event: Event) -> None:
        write = Write(_item(event, deliveries[event.pk]), _after(event, by_position))
        _apply(listing, write, released, by_position)
        released.add(event.pk)
        listing.writes.insert(0, write)

    for delivery in arrived:
        held.append(by_position[delivery.event_id])
        progress = True
        while progress:  # releasing one write may free the ones that wait for it
            progress = False
            for event in [e for e in held if ready(e)]:
                held.remove(event)
                release(event)
                progress = True
    for event in held:
        item = _item(event, deliveries[event.pk])
        # Arrived, not applied: in session order it comes after a write this replica lacks.
        held_item = Item(item.key, item.text, item.position, "pending")
        write = Write(held_item, _after(event, by_position), held=True)
        listing.writes.insert(0, write)
        listing.waiting_for.append(write.after)
    return listing
