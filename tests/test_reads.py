"""Unit tests of the read strategies behind the read-your-writes trick."""

import random

import pytest
from asgiref.sync import async_to_sync
from django.db import connection

from demos import reads
from store import projector
from store.data import ensure_replicas
from tests import factories
from tests.helpers import thread

pytestmark = pytest.mark.django_db(transaction=True)
STREAM = "read-your-writes"


@pytest.fixture(autouse=True)
def replicas():
    ensure_replicas()


def texts(read: reads.Read) -> list[str]:
    return [item.text for item in read.items]


def test_merge_shows_my_unapplied_write_but_not_someone_elses():
    mine = factories.write("mine", stream=STREAM, session_key="me")
    factories.write("theirs", stream=STREAM, session_key="them")
    read = reads.read_your_writes("merge", "slow", STREAM, "me", mine.pk)
    assert texts(read) == ["mine"]
    assert read.items[0].state == "pending" and read.items[0].own
    assert "merged" in read.served_by


def test_another_session_sees_only_the_replica():
    mine = factories.write("mine", stream=STREAM, session_key="me")
    read = reads.read_your_writes("merge", "slow", STREAM, "other", 0)
    assert texts(read) == []
    projector.apply("slow", mine.pk)
    assert texts(reads.read_your_writes("merge", "slow", STREAM, "other", 0)) == ["mine"]


def test_once_the_replica_reaches_the_token_it_serves_alone():
    mine = factories.write("mine", stream=STREAM, session_key="me")
    projector.apply("slow", mine.pk)
    read = reads.read_your_writes("merge", "slow", STREAM, "me", mine.pk)
    assert texts(read) == ["mine"] and read.items[0].state == "confirmed"
    assert read.merged == [] and "already at your token" in read.served_by


def test_leader_reads_the_log_with_every_accepted_write():
    factories.write("theirs", stream=STREAM, session_key="them")
    mine = factories.write("mine", stream=STREAM, session_key="me")
    read = reads.read_your_writes("leader", "slow", STREAM, "me", mine.pk)
    assert texts(read) == ["mine", "theirs"]
    assert "leader" in read.served_by


def test_wait_is_bounded_and_falls_back_to_merging():
    mine = factories.write("mine", stream=STREAM, session_key="me")
    waited = async_to_sync(reads.wait_for_token)("slow", mine.pk, 0.3)
    assert 300 <= waited < 1000
    read = reads.read_your_writes("wait", "slow", STREAM, "me", mine.pk)
    assert texts(read) == ["mine"] and "fell back" in read.served_by


def test_wait_returns_as_soon_as_the_replica_has_the_token():
    mine = factories.write("mine", stream=STREAM, session_key="me")
    projector.apply("slow", mine.pk)
    assert async_to_sync(reads.wait_for_token)("slow", mine.pk, 2.0) < 200


def test_wait_does_not_stop_at_a_gap_of_an_as_it_arrives_replica():
    factories.replica("arrival", ordered=False)
    first, second = factories.write("a", stream=STREAM), factories.write("b", stream=STREAM)
    projector.apply("arrival", second.pk)
    # The replica has applied #second but not #first: it has not reached the token #second.
    assert async_to_sync(reads.wait_for_token)("arrival", second.pk, 0.3) >= 300
    projector.apply("arrival", first.pk)
    assert async_to_sync(reads.wait_for_token)("arrival", second.pk, 2.0) < 2000


@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "as-it-arrives"])
def test_an_apply_landing_between_the_queries_never_hides_my_write(ordered):
    factories.replica("probe", ordered=ordered)
    mine = factories.write("mine", stream=STREAM, session_key="me")
    threads = []

    def apply_after_the_items_query(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "store_delivery" in sql and not threads:
            threads.append(thread(lambda: projector.apply("probe", mine.pk), bound_s=1.0))
        return result

    with connection.execute_wrapper(apply_after_the_items_query):
        read = reads.read_your_writes("merge", "probe", STREAM, "me", mine.pk)
    threads[0].join(30)
    assert texts(read) == ["mine"], read.served_by


@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "as-it-arrives"])
def test_the_writer_sees_every_own_write_at_every_read_while_applies_land(ordered):
    factories.replica("probe", ordered=ordered)
    events = [factories.write(f"w{i}", stream=STREAM, session_key="me" if i % 3 else "them") for i in range(14)]
    mine = {e.key for i, e in enumerate(events) if i % 3}
    token = max(e.pk for e in events if e.key in mine)
    positions = [e.pk for e in events]
    random.shuffle(positions)

    def apply_all():
        for position in positions:
            projector.apply("probe", position)

    applier = thread(apply_all, bound_s=0)
    count = 0
    while applier.is_alive() or count < 20:
        read = reads.read_your_writes(random.choice(["merge", "wait"]), "probe", STREAM, "me", token)
        keys = [item.key for item in read.items]
        assert len(keys) == len(set(keys)), "an item shown twice"
        assert mine <= set(keys), f"read {count} hid an own write: {read.served_by}"
        count += 1
    applier.join(30)
    print(f"\n{count} reads while 14 applies landed, every one showed all {len(mine)} own writes")
