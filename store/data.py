"""Demo data: replicas, example items, and the reset button."""

from django.db import transaction
from django.utils import timezone

from . import log, projector, signals
from .models import Delivery, Event, LagSettings, Process, Replica

REPLICAS = (
    # name, ordered, extra lag, stream ("": every stream without a cluster of its own).
    # The fast one's extra is 0 so the badge's delay is what a naive read sees.
    ("fast", True, 0, ""),
    ("slow", True, 2000, ""),
    # A third lag between the two, so a read that goes round the replicas lands on three ages.
    ("medium", True, 1000, ""),
    # Applies each event the moment it arrives, in whatever order: the eventually consistent one.
    ("arrival", False, 0, ""),
    # The CAP demo's cluster: three, so a majority (two) exists and a partition can deny it.
    # cap-c, the one its AP side reads, comes a little after the other two.
    ("cap-a", True, 0, "cap"),
    ("cap-b", True, 0, "cap"),
    ("cap-c", True, 300, "cap"),
)


def ensure_replicas() -> None:
    for name, ordered, extra, stream in REPLICAS:
        Replica.objects.get_or_create(name=name, defaults={"ordered": ordered, "extra_lag_ms": extra, "stream": stream})
    LagSettings.load()


@transaction.atomic
def seed(examples: dict[str, list]) -> int:
    """Put example items, already applied everywhere, into empty streams; return how many.

    An example is a text (an added item) or a (kind, payload) pair."""
    ensure_replicas()
    log.lock_appends()
    now = timezone.now()
    created = 0
    for stream, texts in examples.items():
        if Event.objects.filter(stream=stream).exists():
            continue
        for i, example in enumerate(texts):
            kind, payload = ("item.added", {"text": example}) if isinstance(example, str) else example
            event = Event.objects.create(
                stream=stream,
                kind=kind,
                key=f"seed-{stream}-{i}",
                payload=payload,
                submitted_at=now,
                verdict="ok",
            )
            Delivery.objects.bulk_create(
                Delivery(event=event, replica=r, state=Delivery.APPLIED, due_at=now, applied_at=now)
                for r in Replica.serving(stream)
            )
            created += 1
    # Not "the newest event": after a restart, writes still queued keep the watermark below them.
    projector.recompute_marks()
    return created


@transaction.atomic
def reset(examples: dict[str, list[str]]) -> int:
    """Empty the log and every replica, seed `examples` again; return how many.

    One transaction, announced once: an open page never sees the empty store in between.
    Tasks still in flight find nothing to apply."""
    # Replica rows first, as the projector takes them: deleting deliveries a projector holds
    # while it waits for a replica row this transaction holds would deadlock.
    list(Replica.objects.select_for_update())
    Event.objects.all().delete()
    Process.objects.all().delete()
    Replica.objects.update(checkpoint=0, high_water=0)
    created = seed(examples)
    signals.announce_on_commit(signals.reset)
    return created
