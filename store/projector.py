"""Where a write is applied: projecting the event log into a replica."""

import random
from collections import defaultdict
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from .models import Delivery, Event, LagSettings, Replica

# A long due backlog is applied in several transactions, so appends are never held up for long.
DUE_BATCH = 200
# A drain's timer may fire a hair before the end of its tick: what falls due this soon after
# the drain has applied what is due is waited for, never applied early and never left behind.
DUE_SLACK = timedelta(milliseconds=20)

REJECTION_REASONS = (
    "out of stock",
    "payment declined",
    "a moderator said no",
    "the warehouse is closed",
)


def decide(events: list[Event], lag: LagSettings) -> None:
    """Accept or reject each undecided event for good, in one statement per outcome; the first
    replica to reach an event decides for all. An event another replica decided meanwhile keeps
    that verdict: it is read back."""
    undecided = {}  # position -> the event's objects (one per replica that reached it here)
    for event in events:
        if not event.verdict:
            undecided.setdefault(event.pk, []).append(event)
    if not undecided:
        return
    outcomes = defaultdict(list)  # (verdict, reason) -> positions
    for position in undecided:
        rejected = random.random() < lag.failure_rate
        outcome = ("rejected", random.choice(REJECTION_REASONS)) if rejected else ("ok", "")
        outcomes[outcome].append(position)
    won = 0
    for (verdict, reason), positions in outcomes.items():
        won += Event.objects.filter(pk__in=positions, verdict="").update(verdict=verdict, reason=reason)
    if won == len(undecided):
        decided = {pk: outcome for outcome, positions in outcomes.items() for pk in positions}
    else:
        decided = {
            pk: (v, r)
            for pk, v, r in Event.objects.filter(pk__in=list(undecided)).values_list("pk", "verdict", "reason")
        }
    for position, objects in undecided.items():
        for event in objects:
            event.verdict, event.reason = decided[position]


def apply(replica_name: str, position: int) -> list[Delivery]:
    """Bring `replica_name` up to `position`; return the deliveries this call settled.

    An ordered replica applies every missing event up to `position`, in log order; an
    as-it-arrives replica applies just that one. Idempotent: a delivery leaves the queue once,
    so a duplicate or late task changes nothing. While paused (partition) nothing is applied.
    """

    def pick(replica: Replica, queued):
        if replica.ordered:
            return queued.filter(event_id__lte=position).order_by("event_id")
        return queued.filter(event_id=position)

    return _settle(replica_name, pick)


def apply_due(replica_name: str, limit: int = DUE_BATCH) -> list[Delivery]:
    """Apply what has come due on `replica_name`, at most `limit` deliveries in one transaction.

    An ordered replica applies in log order up to the highest due position (a FIFO link: what
    was written before it arrives first); an as-it-arrives replica applies exactly the due
    deliveries, in the order they came due. Idempotent and safe to run twice at once.
    """
    return apply_due_on([replica_name], limit).get(replica_name, [])


def apply_due_on(replica_names: list[str], limit: int = DUE_BATCH) -> dict[str, list[Delivery]]:
    """`apply_due` on each of `replica_names`, all in one transaction (a drain's replicas share
    one lag read, one verdict per event and one look at the queue for the watermarks); returns
    what each settled, replicas that settled nothing left out."""

    def pick(replica: Replica, queued):
        due = queued.filter(due_at__lte=timezone.now())
        if replica.ordered:
            top = due.aggregate(m=Max("event_id"))["m"]
            return queued.filter(event_id__lte=top).order_by("event_id")[:limit] if top else queued.none()
        return due.order_by("due_at", "event_id")[:limit]

    return _settle_on(replica_names, pick)


def due_soon(replica_names: str | list[str]) -> float | None:
    """Seconds until the next queued delivery of `replica_names` falls due, if that is within
    DUE_SLACK from now (what is due already was the drain's to apply, or waits out a partition)."""
    names = [replica_names] if isinstance(replica_names, str) else replica_names
    now = timezone.now()
    nearest = Delivery.objects.filter(
        replica_id__in=names, state=Delivery.QUEUED, due_at__gt=now, due_at__lte=now + DUE_SLACK
    ).aggregate(m=Min("due_at"))["m"]
    return None if nearest is None else max(0.0, (nearest - now).total_seconds())


class Raced(RuntimeError):
    """A delivery this projector had locked left the queue under it: nothing was applied."""


def _settle(replica_name: str, pick) -> list[Delivery]:
    return _settle_on([replica_name], pick).get(replica_name, [])


def _settle_on(replica_names: list[str], pick) -> dict[str, list[Delivery]]:
    lag = LagSettings.load()
    if lag.paused:
        return {}
    with transaction.atomic():
        # One projector per replica at a time: the apply numbers and the watermark are computed
        # from what the previous one committed, never from a half-seen race. Locked in the order
        # a reset locks them (store.data.reset), so the two never wait for each other in a circle.
        replicas = list(Replica.objects.select_for_update().filter(pk__in=replica_names))
        batches = {}
        for replica in replicas:
            queued = pick(replica, Delivery.objects.filter(replica=replica, state=Delivery.QUEUED))
            # Locked too (PostgreSQL): a withdrawn proposal's deliveries leave only after this commits.
            if batch := list(queued.select_related("event").select_for_update(of=("self",))):
                batches[replica] = batch
        if not batches:
            return {}
        decide([delivery.event for batch in batches.values() for delivery in batch], lag)
        now = timezone.now()
        for replica, batch in batches.items():
            _number(replica, batch, now)
        lowest_queued = dict(
            Delivery.objects.filter(replica__in=list(batches), state=Delivery.QUEUED)
            .values_list("replica_id")
            .annotate(m=Min("event_id"))
        )
        for replica, batch in batches.items():
            high_water = max(replica.high_water, *(d.event_id for d in batch))
            # Every position below the lowest still queued is settled (appends commit in id
            # order); with none queued, everything up to the highest settled one is.
            checkpoint = lowest_queued[replica.pk] - 1 if replica.pk in lowest_queued else high_water
            Replica.objects.filter(pk=replica.pk).update(
                applies=replica.applies + len(batch), checkpoint=checkpoint, high_water=high_water
            )
    return {replica.pk: batch for replica, batch in batches.items()}


def _number(replica: Replica, batch: list[Delivery], now) -> None:
    """Move `batch` out of the queue, each delivery with its apply number."""
    seq = replica.applies
    for delivery in batch:
        seq += 1
        delivery.state = Delivery.APPLIED if delivery.event.verdict == "ok" else Delivery.REJECTED
        delivery.applied_at, delivery.apply_seq = now, seq
    # One prepared statement run for the batch: no query is built per delivery. Conditional on
    # `queued`, so the count of rows moved is the proof that none had left the queue already.
    table = connection.ops.quote_name(Delivery._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET state = %s, applied_at = %s, apply_seq = %s WHERE id = %s AND state = %s",  # noqa: S608
            [(d.state, at, d.apply_seq, d.pk, Delivery.QUEUED) for d in batch],
        )
        moved = cursor.rowcount
    if moved != len(batch):
        # Cannot happen while the rows are locked; if it did, the transaction rolls back whole
        # (nothing applied twice, nothing numbered twice) and the sweeper sends them again.
        raise Raced(f"{len(batch) - moved} of {len(batch)} deliveries of {replica.pk} left the queue")


def watermark(replica_name: str) -> int:
    """Every position up to the answer is applied or rejected by `replica_name`.

    Honest because appends commit in id order (store.log holds the append lock): no queued
    delivery can appear below a position once a higher one is visible.
    """
    mine = Delivery.objects.filter(replica_id=replica_name)
    lowest_queued = mine.filter(state=Delivery.QUEUED).aggregate(m=Min("event_id"))["m"]
    if lowest_queued is not None:
        return lowest_queued - 1
    return mine.aggregate(m=Max("event_id"))["m"] or 0


def marks(replica_name: str) -> dict[str, int]:
    """The replica's watermark and high-water mark, recomputed from its deliveries."""
    settled = Delivery.objects.filter(replica_id=replica_name).exclude(state=Delivery.QUEUED)
    return {
        "checkpoint": watermark(replica_name),
        "high_water": settled.aggregate(m=Max("event_id"))["m"] or 0,
    }


def recompute_marks() -> None:
    """After data changed behind the projectors' backs (seed, reset, migration)."""
    for name in Replica.objects.values_list("pk", flat=True):
        Replica.objects.filter(pk=name).update(**marks(name))
