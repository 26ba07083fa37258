"""The store under concurrent writers and projectors, on SQLite and on PostgreSQL."""

import random
import threading

import pytest
from django.db import connection, connections, transaction

from store import data, projector
from store.data import ensure_replicas
from store.models import Delivery, Replica
from tests import factories
from tests.conftest import wait_until
from tests.helpers import thread

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def replicas():
    ensure_replicas()


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


def test_sixteen_writers_and_duplicate_tasks_apply_each_event_once_per_replica_in_log_order():
    factories.replica("arrival", ordered=False)
    replicas = ["fast", "slow", "arrival"]
    positions: list[int] = []
    lock = threading.Lock()

    def writer(n: int):
        for i in range(5):
            position = factories.write(f"writer {n} #{i}", session_key=f"s{n}").pk
            with lock:
                positions.append(position)

    def projector_worker(seed: int):
        # Both workers get every task (each one a duplicate of the other's), in shuffled order.
        rng, done = random.Random(seed), 0
        while True:
            last_pass = not any(w.is_alive() for w in writers)
            with lock:
                batch = positions[done:]
            done += len(batch)
            tasks = [(r, p) for r in replicas for p in batch]
            rng.shuffle(tasks)
            for replica, position in tasks:
                projector.apply(replica, position)
            if last_pass:
                return

    writers = [thread(lambda n=n: writer(n), bound_s=0) for n in range(16)]
    workers = [thread(lambda s=s: projector_worker(s), bound_s=0) for s in range(2)]
    for t in writers + workers:
        t.join(120)
    for replica in replicas:  # the late ones: after everything was applied
        for position in positions:
            assert projector.apply(replica, position) == []
    assert len(positions) == 80
    for replica in replicas:
        settled = Delivery.objects.filter(replica=replica).exclude(state="queued")
        # Counted applies, not rows: a delivery applied twice would number two applies.
        assert Replica.objects.get(pk=replica).applies == settled.count() == 80, replica
        assert sorted(settled.values_list("apply_seq", flat=True)) == list(range(1, 81))
        assert Replica.objects.get(pk=replica).checkpoint == max(positions)
    for replica in ("fast", "slow"):
        assert applied_order(replica) == sorted(positions), f"{replica} applied out of log order"


def someone_waits_for_a_lock() -> bool:
    """On a connection of its own: another transaction's statistics snapshot would never change."""
    probe = connections.create_connection("default")
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            return cursor.fetchone()[0] > 0
    finally:
        probe.close()


def test_reset_while_a_projector_holds_a_replica_does_not_deadlock():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: no lock order to get wrong")
    event = factories.write("being applied")
    errors, locked = [], threading.Event()

    def hold_until_the_reset_waits(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "FOR UPDATE" in sql and not locked.is_set():
            locked.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the reset to wait for a lock")
        return result

    def project():
        with connection.execute_wrapper(hold_until_the_reset_waits):
            projector.apply("fast", event.pk)

    def guarded(work):
        try:
            work()
        except Exception as error:  # noqa: BLE001 - the test reports whatever went wrong
            errors.append(error)

    projecting = thread(lambda: guarded(project), bound_s=0)
    assert locked.wait(10)
    resetting = thread(lambda: guarded(lambda: data.reset({})), bound_s=0)
    projecting.join(30)
    resetting.join(30)
    assert errors == []
    assert not Delivery.objects.exists()
