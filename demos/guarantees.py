"""Session guarantees over lagging replicas: monotonic reads and consistent prefix.

Each read takes what it concludes from one snapshot of the store (store.snapshot), so a
replica applying in between can never make the guarantee's own check lie.
"""

from dataclasses import dataclass, field

from store.models import Delivery, Event, Replica
from store.snapshot import snapshot

from .reads import LIMIT, Item, leader_items

STATE = {Delivery.APPLIED: "confirmed", Delivery.REJECTED: "rejected"}
LEADER = "the log"


@dataclass(frozen=True)
class Turn:
    """One read from a rotation of replicas: where it went and what it was able to see."""

    items: list[Item]
    source: str  # a replica's name, or LEADER
    watermark: int  # every position up to here was applied or rejected at `source`
    skipped: list[tuple[str, int]] = field(default_factory=list)  # (replica, its watermark) passed over
    # Every replica of the rotation holds all of the stream: no later read can show anything else.
    converged: bool = False


def rotation() -> list[str]:
    """The ordered replicas, freshest first: the ones a round-robin read goes through."""
    return list(
        Replica.objects.filter(ordered=True, stream="").order_by("extra_lag_ms", "name").values_list("name", flat=True)
    )


def prefix_items(replica: str, stream: str, upto: int, limit: int = LIMIT) -> list[Item]:
    """What `replica` holds of `stream` up to position `upto`, newest first."""
    deliveries = (
        Delivery.objects.filter(replica_id=replica, event__stream=stream, event_id__lte=upto)
        .exclude(state=Delivery.QUEUED)
        .select_related("event")
        .order_by("-event_id")[:limit]
    )
    return [_item(d) for d in deliveries]


def _item(delivery: Delivery) -> Item:
    event, state = delivery.event, STATE[delivery.state]
    return Item(event.key, event.text, event.pk, state, event.reason if state == "rejected" else "")


def _watermarks() -> dict[str, int]:
    return dict(Replica.objects.values_list("name", "checkpoint"))


def _converged(stream: str, marks: dict[str, int], names: list[str]) -> bool:
    newest = Event.objects.filter(stream=stream).order_by("-id").values_list("id", flat=True).first() or 0
    return all(marks[name] >= newest for name in names)


def round_robin(stream: str, turn: int) -> Turn:
    """Naive: the `turn`-th read goes to the next replica in turn, however stale it is."""
    names = rotation()
    name = names[turn % len(names)]
    with snapshot():
        marks = _watermarks()
        watermark = marks[name]
        return Turn(prefix_items(name, stream, watermark), name, watermark, converged=_converged(stream, marks, names))


def monotonic(stream: str, seen: int, turn: int) -> Turn:
    """Trick: read only from a replica that has applied at least up to `seen`, the highest
    position this session has read; if none has, read the log, which has everything.

    The caller keeps the answer's watermark as its new `seen`: reads never go back in time.
    """
    names = rotation()
    start = turn % len(names)
    with snapshot():
        marks = _watermarks()
        newest = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
        if seen > newest:
            seen = 0  # the log was reset: there is no past left to go back to
        skipped = []
        converged = _converged(stream, marks, names)
        for name in names[start:] + names[:start]:
            if marks[name] >= seen:
                return Turn(prefix_items(name, stream, marks[name]), name, marks[name], skipped, converged)
            skipped.append((name, marks[name]))
        return Turn(leader_items(stream), LEADER, newest, skipped, converged)


@dataclass(frozen=True)
class Post:
    """An item of a thread, with the position of the post before it in the thread (0: none shown)."""

    item: Item
    after: int


@dataclass(frozen=True)
class Thread:
    posts: list[Post]  # newest first
    waiting_for: int = 0  # the earliest position not yet arrived; later ones are buffered
    buffered: int = 0
    floor: int = 0  # the window's oldest position when the log has more (0: the whole stream)


def _thread(replica: str, stream: str, limit: int) -> tuple[list[Event], dict[int, Delivery]]:
    events = list(Event.objects.filter(stream=stream).order_by("-id")[:limit])[::-1]
    deliveries = Delivery.objects.filter(replica_id=replica, event__in=events).select_related("event")
    return events, {d.event_id: d for d in deliveries}


def _floor(events: list[Event], limit: int) -> int:
    return events[0].pk if events and len(events) >= limit else 0


def _previous(events: list[Event]) -> dict[int, int]:
    """Each event's predecessor in the thread; the oldest in the window has none shown."""
    return {e.pk: (events[i - 1].pk if i else 0) for i, e in enumerate(events)}


def as_arrived(replica: str, stream: str, limit: int = LIMIT) -> Thread:
    """Naive: every post `replica` has, newest arrival on top, in whatever order they came."""
    with snapshot():
        events, deliveries = _thread(replica, stream, limit)
    after = _previous(events)
    arrived = sorted(
        (d for d in deliveries.values() if d.state != Delivery.QUEUED), key=lambda d: d.apply_seq or 0, reverse=True
    )
    return Thread([Post(_item(d), after[d.event_id]) for d in arrived], floor=_floor(events, limit))


def in_log_order(replica: str, stream: str, limit: int = LIMIT) -> Thread:
    """Trick: release the thread's posts in log order; a post that arrived before an earlier
    one waits in a buffer until the gap is filled."""
    with snapshot():
        events, deliveries = _thread(replica, stream, limit)
    after = _previous(events)
    shown: list[Post] = []
    for i, event in enumerate(events):
        delivery = deliveries.get(event.pk)
        if delivery is None:
            continue  # written before this replica existed: it will never arrive
        if delivery.state == Delivery.QUEUED:
            later = [deliveries.get(e.pk) for e in events[i + 1 :]]
            buffered = sum(1 for d in later if d is not None and d.state != Delivery.QUEUED)
            return Thread(shown[::-1], waiting_for=event.pk, buffered=buffered, floor=_floor(events, limit))
        shown.append(Post(_item(delivery), after[event.pk]))
    return Thread(shown[::-1], floor=_floor(events, limit))
