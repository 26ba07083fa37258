"""Celery tasks that carry events from the log to the replicas."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from . import projector, signals
from .models import Delivery, LagSettings

SWEEP_BATCH = 500
logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def apply_event(replica_name: str, position: int) -> int:
    """Idempotent: applying a delivery that already left the queue does nothing."""
    settled = projector.apply(replica_name, position)
    if settled:
        signals.announce(signals.settled, replica=replica_name, deliveries=settled)
    return len(settled)


def dispatch(deliveries) -> list[int]:
    """Send each delivery to the broker with the countdown left until its due time; return the
    ids sent. With the broker down the write still stands: it is in the log, and the sweeper
    sends it once the broker is back."""
    now = timezone.now()
    sent = []
    for delivery in deliveries:
        countdown = max(0.0, (delivery.due_at - now).total_seconds())
        try:
            apply_event.apply_async((delivery.replica_id, delivery.event_id), countdown=countdown)
        except (KombuError, RedisError, OSError) as error:
            logger.warning("broker unreachable, the sweeper will send #%s later: %s", delivery.event_id, error)
            break
        sent.append(delivery.pk)
    return sent


def enqueue(deliveries) -> None:
    """Send the deliveries and record that they were sent (the sweeper, heal)."""
    now = timezone.now()
    sent = dispatch(deliveries)
    # One statement for the whole batch.
    Delivery.objects.filter(pk__in=sent).update(
        enqueued_at=Coalesce(F("enqueued_at"), now),
        last_enqueued_at=now,
        enqueue_count=F("enqueue_count") + 1,
    )


def enqueue_appended(deliveries: list[Delivery]) -> None:
    """After an append's commit: send its deliveries, which the append already recorded as sent
    in its own transaction (one write fewer on every write). One the broker refused is
    unrecorded again, so the sweeper sends it once it is overdue."""
    sent = set(dispatch(deliveries))
    if unsent := [d.pk for d in deliveries if d.pk not in sent]:
        Delivery.objects.filter(pk__in=unsent, enqueue_count=1).update(
            enqueued_at=None, last_enqueued_at=None, enqueue_count=0
        )


@shared_task
def sweep() -> int:
    """Re-enqueue deliveries still queued well after their due time (lost task, dead worker)."""
    if LagSettings.load().paused:
        return 0
    cutoff = timezone.now() - timedelta(milliseconds=settings.SWEEP_GRACE_MS)
    stale = list(
        Delivery.objects.filter(state=Delivery.QUEUED, due_at__lt=cutoff)
        .exclude(last_enqueued_at__gte=cutoff)
        .order_by("event_id")[:SWEEP_BATCH]
    )
    enqueue(stale)
    return len(stale)


def heal() -> int:
    """End of a partition: what queued up flows, each delivery with a fresh lag from now."""
    lag = LagSettings.load()
    queued = list(Delivery.objects.filter(state=Delivery.QUEUED).select_related("replica"))
    now = timezone.now()
    for delivery in queued:
        delivery.due_at = now + lag.due_after(delivery.replica)
    Delivery.objects.bulk_update(queued, ["due_at"], batch_size=500)
    enqueue(queued)
    return len(queued)
