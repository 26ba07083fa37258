"""The store under concurrent writers and projectors, on SQLite and on PostgreSQL."""

import threading

import pytest
from django.db import connections, transaction

from store import projector
from store.data import ensure_replicas
from store.models import Delivery
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def replicas():
    ensure_replicas()


def thread(work, bound_s: float = 10) -> threading.Thread:
    """Run `work` on its own connection; wait for it at most `bound_s` (0: don't wait)."""

    def run():
        try:
            work()
        finally:
            connections.close_all()

    started = threading.Thread(target=run)
    started.start()
    started.join(bound_s)
    return started


def applied_order(replica: str) -> list[int]:
    """Positions in the order the replica applied them."""
    return list(Delivery.objects.filter(replica=replica).order_by("apply_seq").values_list("event_id", flat=True))


def test_a_write_still_committing_is_not_overtaken_by_a_later_one_on_an_ordered_replica():
    positions, appended, release = {}, threading.Event(), threading.Event()

    def slow_writer():
        with transaction.atomic():  # the append's transaction stays open until released
            positions["first"] = factories.write("first").pk
            appended.set()
            release.wait(10)

    first = thread(slow_writer, bound_s=0)
    assert appended.wait(10)

    def second_writer():
        positions["second"] = factories.write("second").pk

    # Bounded: an append that must wait for the first one's commit is still waiting after this.
    second = thread(second_writer, bound_s=1.0)
    if "second" in positions:
        projector.apply("fast", positions["second"])  # what the worker does once #second is committed
    release.set()
    first.join(10)
    second.join(10)
    projector.apply("fast", positions["second"])
    assert positions["first"] < positions["second"]
    assert applied_order("fast") == [positions["first"], positions["second"]]
