"""A drain applies every replica it was sent for in one transaction: each delivery once, each
event decided once for all replicas, nothing before its due time, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from django.utils import timezone

from store import projector, tasks
from store.data import ensure_replicas
from store.models import Delivery, Event, Replica
from tests import factories
from tests.helpers import thread

pytestmark = pytest.mark.django_db(transaction=True)

CURTAIN = ["arrival", "fast", "medium", "slow"]


@pytest.fixture(autouse=True)
def replicas():
    ensure_replicas()


def due_now(events) -> None:
    Delivery.objects.filter(event__in=events).update(due_at=timezone.now() - timedelta(seconds=1))


def test_concurrent_drains_of_every_replica_apply_each_delivery_once_in_log_order():
    events = [factories.write(f"burst {i}") for i in range(40)]
    due_now(events)

    def drains(seed: int):
        # Every drain names every replica, in a different order, and several run at once:
        # duplicates of one another, as a re-sent or late task is.
        names = CURTAIN[seed:] + CURTAIN[:seed]
        for _ in range(3):
            tasks.drain(names)

    workers = [thread(lambda s=s: drains(s), bound_s=0) for s in range(4)]
    for worker in workers:
        worker.join(60)
    positions = [e.pk for e in events]
    for name in CURTAIN:
        settled = Delivery.objects.filter(replica=name, event__in=events).exclude(state=Delivery.QUEUED)
        replica = Replica.objects.get(pk=name)
        # Counted applies, not rows: a delivery applied twice would number two applies.
        assert settled.count() == 40, name
        assert replica.applies - min(settled.values_list("apply_seq", flat=True)) + 1 == 40, name
        assert sorted(settled.values_list("apply_seq", flat=True)) == list(
            range(replica.applies - 39, replica.applies + 1)
        ), name
        assert replica.checkpoint == replica.high_water == max(positions), name
        if replica.ordered:
            order = list(settled.order_by("apply_seq").values_list("event_id", flat=True))
            assert order == sorted(positions), f"{name} applied out of log order"


def test_a_drain_of_several_replicas_applies_only_what_is_due_on_each_and_keeps_their_watermarks():
    first, second = factories.write("first"), factories.write("second")
    now = timezone.now()
    Delivery.objects.filter(event__in=[first, second]).update(due_at=now - timedelta(seconds=1))
    # Not due yet: #second on the slow replica and on the as-it-arrives one.
    Delivery.objects.filter(event=second, replica__in=["slow", "arrival"]).update(due_at=now + timedelta(seconds=60))
    settled = projector.apply_due_on(CURTAIN)
    assert {name: [d.event_id for d in batch] for name, batch in settled.items()} == {
        "arrival": [first.pk],
        "fast": [first.pk, second.pk],
        "medium": [first.pk, second.pk],
        "slow": [first.pk],
    }
    marks = dict(Replica.objects.filter(pk__in=CURTAIN).values_list("pk", "checkpoint"))
    assert marks == {"arrival": first.pk, "fast": second.pk, "medium": second.pk, "slow": first.pk}
    assert projector.apply_due_on(CURTAIN) == {}, "a second drain finds nothing due"
    assert Delivery.objects.get(event=second, replica="slow").state == Delivery.QUEUED


def test_one_drain_decides_each_event_once_and_every_replica_agrees():
    factories.lag(failure_rate=0.5)
    events = [factories.write(f"maybe {i}") for i in range(30)]
    due_now(events)
    tasks.drain(CURTAIN)
    verdicts = dict(Event.objects.filter(pk__in=[e.pk for e in events]).values_list("pk", "verdict"))
    assert set(verdicts.values()) == {"ok", "rejected"}, "at a failure rate of 0.5, 30 writes show both"
    for event_id, replica, state in Delivery.objects.filter(event__in=events).values_list(
        "event_id", "replica_id", "state"
    ):
        expected = Delivery.APPLIED if verdicts[event_id] == "ok" else Delivery.REJECTED
        assert state == expected, (event_id, replica)
    assert all(Event.objects.get(pk=pk).reason for pk, v in verdicts.items() if v == "rejected")
