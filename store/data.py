"""Demo data: replicas, example items, and the reset button."""

from django.db import transaction
from django.utils import timezone

from . import log, projector
from .models import Delivery, Event, LagSettings, Replica

REPLICAS = (
    # name, ordered, extra lag: the fast one's extra is 0 so the badge's delay is what a naive read sees.
    ("fast", True, 0),
    ("slow", True, 2000),
)


def ensure_replicas() -> None:
    for name, ordered, extra in REPLICAS:
        Replica.objects.get_or_create(name=name, defaults={"ordered": ordered, "extra_lag_ms": extra})
    LagSettings.load()


@transaction.atomic
def seed(examples: dict[str, list[str]]) -> int:
    """Put example items, already applied everywhere, into empty streams; return how many."""
    ensure_replicas()
    log.lock_appends()
    replicas = list(Replica.objects.all())
    now = timezone.now()
    created = 0
    for stream, texts in examples.items():
        if Event.objects.filter(stream=stream).exists():
            continue
        for i, text in enumerate(texts):
            event = Event.objects.create(
                stream=stream,
                key=f"seed-{stream}-{i}",
                payload={"text": text},
                submitted_at=now,
                verdict="ok",
            )
            Delivery.objects.bulk_create(
                Delivery(event=event, replica=r, state=Delivery.APPLIED, due_at=now, applied_at=now) for r in replicas
            )
            created += 1
    # Not "the newest event": after a restart, writes still queued keep the watermark below them.
    projector.recompute_marks()
    return created


@transaction.atomic
def reset() -> None:
    """Empty the log and every replica. Tasks still in flight find nothing to apply."""
    # Replica rows first, as the projector takes them: deleting deliveries a projector holds
    # while it waits for a replica row this transaction holds would deadlock.
    list(Replica.objects.select_for_update())
    Event.objects.all().delete()
    Replica.objects.update(checkpoint=0, high_water=0)
