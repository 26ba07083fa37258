"""Reads for the demo panes: from a replica, from the leader (the log), or read-your-writes."""

import asyncio
import time
from dataclasses import dataclass, field

from store.log import session_ref
from store.models import Delivery, Event, Replica
from store.snapshot import snapshot

LIMIT = 15
STRATEGIES = {
    "merge": "merge my pending writes",
    "wait": "wait for the replica (bounded)",
    "leader": "read from the leader",
}
WAIT_BOUND_S = 2.0


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    position: int
    state: str  # pending, confirmed, rejected
    reason: str = ""
    own: bool = False


@dataclass
class Read:
    items: list[Item]
    served_by: str
    waited_ms: int = 0
    merged: list[Item] = field(default_factory=list)
    watermark: int = 0  # the replica's, read in the same snapshot as the items


def _item(event: Event, state: str, own_session: str = "") -> Item:
    return Item(
        key=event.key,
        text=event.text,
        position=event.pk,
        state=state,
        reason=event.reason if state == "rejected" else "",
        own=bool(own_session) and event.session_key == session_ref(own_session),
    )


def replica_items(replica: str, stream: str, limit: int = LIMIT, session_key: str = "") -> list[Item]:
    """What `replica` holds of `stream`, newest first: applied items and rejected ones."""
    deliveries = (
        Delivery.objects.filter(replica_id=replica, event__stream=stream)
        .exclude(state=Delivery.QUEUED)
        .select_related("event")
        .order_by("-event_id")[:limit]
    )
    return [_item(d.event, "confirmed" if d.state == Delivery.APPLIED else "rejected", session_key) for d in deliveries]


def leader_items(stream: str, limit: int = LIMIT, session_key: str = "") -> list[Item]:
    """The log itself: every accepted write, whatever the replicas have done with it."""
    states = {"ok": "confirmed", "rejected": "rejected", "": "pending"}
    events = Event.objects.filter(stream=stream).order_by("-id")[:limit]
    return [_item(e, states[e.verdict], session_key) for e in events]


def checkpoint(replica: str) -> int:
    """The replica's watermark: every position up to it is applied or rejected there."""
    return Replica.objects.values_list("checkpoint", flat=True).get(pk=replica)


def own_unapplied(replica: str, stream: str, session_key: str) -> list[Item]:
    """This session's writes that `replica` has not applied yet, from the log."""
    if not session_key:
        return []
    events = Event.objects.filter(
        stream=stream,
        session_key=session_ref(session_key),
        deliveries__replica_id=replica,
        deliveries__state=Delivery.QUEUED,
    ).order_by("-id")[:LIMIT]
    return [_item(e, "pending", session_key) for e in events]


def read_your_writes(strategy: str, replica: str, stream: str, session_key: str, token: int) -> Read:
    """The trick: a session whose last write is at position `token` always sees it.

    merge:  replica contents plus this session's own writes the replica still lacks;
    wait:   the caller waited (bounded) for the replica to reach the token; if it did not,
            merge as a fallback;
    leader: read the log itself, which always has every accepted write.

    The replica's items, its watermark and the session's unapplied writes come from one
    snapshot: read one by one, an apply landing in between would hide the write from both lists.
    """
    if strategy == "leader":
        return Read(leader_items(stream, session_key=session_key), served_by="the leader (the event log)")
    with snapshot():
        items = replica_items(replica, stream, session_key=session_key)
        watermark = checkpoint(replica)
        caught_up = bool(token) and watermark >= token
        merged = [] if caught_up else own_unapplied(replica, stream, session_key)
    if caught_up:
        return Read(items, served_by=f"replica “{replica}”, already at your token", watermark=watermark)
    served = f"replica “{replica}” + {len(merged)} of your writes merged from the log"
    if strategy == "wait" and token:
        served = f"waited {WAIT_BOUND_S:g} s, replica still behind; fell back to: " + served
    return Read(unique(merged + items), served_by=served, merged=merged, watermark=watermark)


def unique(items: list[Item]) -> list[Item]:
    """One item per key, in the given order; a settled copy beats a pending one."""
    settled = {item.key for item in items if item.state != "pending"}
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.key in seen or (item.state == "pending" and item.key in settled):
            continue
        seen.add(item.key)
        kept.append(item)
    return kept


async def wait_for_token(replica: str, token: int, bound_s: float = WAIT_BOUND_S) -> int:
    """Wait until `replica`'s watermark reaches `token`, at most `bound_s`; return ms waited.

    The watermark, not the highest position applied: an as-it-arrives replica may have applied
    a later write while the token's is still on its way."""
    started = time.monotonic()
    while time.monotonic() - started < bound_s:
        current = await Replica.objects.values_list("checkpoint", flat=True).aget(pk=replica)
        if current >= token:
            break
        await asyncio.sleep(0.05)
    return round((time.monotonic() - started) * 1000)
