"""Where a write is applied: projecting the event log into a replica."""

import random

from django.db import transaction
from django.utils import timezone

from .models import Delivery, Event, LagSettings, Replica

REJECTION_REASONS = (
    "out of stock",
    "payment declined",
    "a moderator said no",
    "the warehouse is closed",
)


def decide(event: Event, lag: LagSettings) -> Event:
    """Accept or reject the event for good; the first replica to reach it decides for all."""
    if not event.verdict:
        rejected = random.random() < lag.failure_rate
        Event.objects.filter(pk=event.pk, verdict="").update(
            verdict="rejected" if rejected else "ok",
            reason=random.choice(REJECTION_REASONS) if rejected else "",
        )
        event.refresh_from_db(fields=["verdict", "reason"])
    return event


def apply(replica_name: str, position: int) -> list[Delivery]:
    """Bring `replica_name` up to `position`; return the deliveries this call settled.

    An ordered replica applies every missing event up to `position`, in log order; an
    as-it-arrives replica applies just that one. Idempotent: a delivery leaves the queue once,
    so a duplicate or late task changes nothing. While paused (partition) nothing is applied.
    """
    lag = LagSettings.load()
    if lag.paused:
        return []
    replica = Replica.objects.get(pk=replica_name)
    settled = []
    with transaction.atomic():
        queued = Delivery.objects.filter(replica=replica, state=Delivery.QUEUED)
        if replica.ordered:
            queued = queued.filter(event_id__lte=position).order_by("event_id")
        else:
            queued = queued.filter(event_id=position)
        now = timezone.now()
        for delivery in queued.select_related("event"):
            event = decide(delivery.event, lag)
            state = Delivery.APPLIED if event.verdict == "ok" else Delivery.REJECTED
            won = Delivery.objects.filter(pk=delivery.pk, state=Delivery.QUEUED).update(state=state, applied_at=now)
            if won:
                delivery.state, delivery.applied_at = state, now
                settled.append(delivery)
        if settled:
            Replica.objects.filter(pk=replica.pk, checkpoint__lt=position).update(checkpoint=position)
    return settled
