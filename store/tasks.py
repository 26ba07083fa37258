"""Celery tasks that carry events from the log to the replicas."""

import logging
import math
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError, connection
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from showcase.redis_client import redis_client

from . import projector, signals
from .models import Delivery, LagSettings

SWEEP_BATCH = 500
# Writes due within one tick share one drain of each replica: under load, one task applies
# dozens of writes; a lone write waits at most this much longer than its lag.
DRAIN_TICK_MS = 50
# How long a claimed tick stays claimed after it has passed (its drain may wait in a backlog).
DRAIN_CLAIM_TTL_MS = 60_000
logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def apply_event(replica_name: str, position: int) -> int:
    """Idempotent: applying a delivery that already left the queue does nothing."""
    settled = projector.apply(replica_name, position)
    if settled:
        signals.announce(signals.settled, replica=replica_name, deliveries=settled)
    return len(settled)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def drain(replicas: str | list[str]) -> int:
    """Apply everything that has come due on each of `replicas` (one name, as queued before
    drains were shared, or several): one task for all the writes due in the same tick, on every
    replica whose drain this tick's writers claimed, in one transaction. Idempotent: what a drain
    before it applied is no longer queued. If that transaction fails, each replica has a turn of
    its own, and one that fails again is left to the sweeper, after the others are done."""
    names = [replicas] if isinstance(replicas, str) else list(replicas)
    try:
        return _drain(names)
    except Exception as error:  # noqa: BLE001 - each replica alone, below
        if len(names) == 1:
            raise
        logger.warning("drain of %s failed; each replica on its own: %s", ", ".join(names), error)
    total, failed = 0, None
    for name in names:
        try:
            total += _drain([name])
        except Exception as error:  # noqa: BLE001 - re-raised once every replica had its turn
            logger.warning("drain of %s failed; the sweeper sends its deliveries again: %s", name, error)
            failed = failed or error
    if failed is not None:
        raise failed
    return total


def _drain(names: list[str]) -> int:
    total = 0
    while True:
        settled = projector.apply_due_on(names)
        for name, deliveries in settled.items():
            signals.announce(signals.settled, replica=name, deliveries=deliveries)
            total += len(deliveries)
        if any(len(deliveries) == projector.DUE_BATCH for deliveries in settled.values()):
            continue  # a backlog: the next batch
        # Never before its due time: one that falls due a moment from now is waited for here.
        if (wait := projector.due_soon(names)) is None:
            return total
        time.sleep(wait)


def _tick(at: datetime) -> datetime:
    """The end of the tick `at` falls in: every write due in one tick shares one drain."""
    ms = math.ceil(at.timestamp() * 1000 / DRAIN_TICK_MS) * DRAIN_TICK_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _claim(replica: str, tick: datetime) -> str:
    """The Redis key whose setter sends the drain of `replica` for `tick`."""
    return f"drain:{replica}:{tick.timestamp():.3f}"


# (replica, tick) -> whether this process sent that drain, for the ticks not yet past.
_sent_here: dict[tuple[str, datetime], bool] = {}


def _remember(now: datetime, sent: list[tuple[str, datetime]]) -> None:
    for key in [key for key in list(_sent_here) if key[1] < now]:  # past: no write is due in it any more
        _sent_here.pop(key, None)
    _sent_here.update(dict.fromkeys(sent, True))


def dispatch(deliveries, force: bool = False) -> list[int]:
    """Make sure a drain of each delivery's replica runs at or after its due time; return the
    ids now covered. A drain already set for the same replica and tick covers it (one Redis
    SET NX per replica and tick decides who sends), so under load a write costs the broker
    nothing and the worker a share of one task. The replicas claimed for one tick share one
    task: at lag 0 every replica falls in the same tick, and one message carries them all.
    `force` sends regardless (the sweeper: a drain it finds missing may have been set and lost).

    With the broker down the write still stands: it is in the log, and the sweeper sends it
    once the broker is back."""
    # Not before now: a drain must not run before the commit that made these deliveries visible.
    now = timezone.now()
    ticks = defaultdict(list)
    for delivery in deliveries:
        ticks[(delivery.replica_id, _tick(max(delivery.due_at, now)))].append(delivery.pk)
    if not force and all(key in _sent_here for key in ticks):
        # This process sent every drain needed (under load, most writes of a tick): no round trip.
        return [pk for pks in ticks.values() for pk in pks]
    sent = []
    try:
        client = redis_client()
        if force:
            claimed = [True] * len(ticks)
        else:
            with client.pipeline(transaction=False) as pipe:
                for replica, tick in ticks:
                    ttl_ms = int((tick - now).total_seconds() * 1000) + DRAIN_CLAIM_TTL_MS
                    pipe.set(_claim(replica, tick), 1, nx=True, px=ttl_ms)
                claimed = pipe.execute()
        mine = defaultdict(list)  # tick -> the replicas this call sends a drain of
        covered = defaultdict(list)  # tick -> the deliveries its drain (or another's) covers
        for ((replica, tick), pks), won in zip(ticks.items(), claimed, strict=True):
            if won:
                mine[tick].append(replica)
            covered[tick] += pks
        for tick in sorted(covered):
            if replicas := mine.get(tick):
                try:
                    drain.apply_async((replicas,), eta=tick)
                except (KombuError, RedisError, OSError):
                    if not force:  # let the next write of this tick try
                        client.delete(*(_claim(replica, tick) for replica in replicas))
                    raise
                _remember(now, [(replica, tick) for replica in replicas])
            sent += covered[tick]
    except (KombuError, RedisError, OSError) as error:
        logger.warning("broker unreachable, the sweeper will send %s deliveries later: %s", len(ticks), error)
    return sent


def enqueue(deliveries, force: bool = False) -> None:
    """Send the deliveries and record that they were sent (the sweeper, heal)."""
    now = timezone.now()
    sent = dispatch(deliveries, force=force)
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
    """Re-enqueue deliveries still queued well after their due time (lost task, dead worker);
    and on SQLite, move what the WAL holds into the database, which the web processes leave to
    the worker (showcase/settings.py)."""
    checkpoint()
    if LagSettings.load().paused:
        return 0
    cutoff = timezone.now() - timedelta(milliseconds=settings.SWEEP_GRACE_MS)
    stale = list(
        Delivery.objects.filter(state=Delivery.QUEUED, due_at__lt=cutoff)
        .exclude(last_enqueued_at__gte=cutoff)
        .order_by("event_id")[:SWEEP_BATCH]
    )
    # The drain that should have applied them was lost (a dead worker, a restarted broker):
    # send one per replica, past any claim.
    enqueue(stale, force=True)
    return len(stale)


def checkpoint() -> None:
    """A passive checkpoint of SQLite's WAL: it waits for no reader or writer, and copies what it can."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except OperationalError:  # a busy moment: the next sweep copies it, the WAL keeps it till then
            logger.warning("the WAL was not checkpointed", exc_info=True)


def heal() -> int:
    """End of a partition: what queued up flows, each delivery with a fresh lag from now."""
    lag = LagSettings.load()
    queued = list(Delivery.objects.filter(state=Delivery.QUEUED).select_related("replica"))
    now = timezone.now()
    for delivery in queued:
        delivery.due_at = now + lag.due_after(delivery.replica, delivery.event_id)
    Delivery.objects.bulk_update(queued, ["due_at"], batch_size=500)
    enqueue(queued)
    return len(queued)
