"""Unit tests of the monotonic-reads and consistent-prefix reads, driven by the real projector."""

import pytest

from demos import guarantees
from store import projector
from store.data import ensure_replicas
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
MONOTONIC = "monotonic-reads"
THREAD = "consistent-prefix"


@pytest.fixture(autouse=True)
def replicas():
    ensure_replicas()


def positions(items) -> list[int]:
    return [item.position for item in items]


def test_rotation_is_the_ordered_replicas_freshest_first():
    assert guarantees.rotation() == ["fast", "medium", "slow"]


def test_round_robin_goes_back_in_time_when_it_reaches_a_staler_replica():
    first = factories.write("one", stream=MONOTONIC)
    second = factories.write("two", stream=MONOTONIC)
    projector.apply("fast", second.pk)
    projector.apply("medium", first.pk)
    reads = [guarantees.round_robin(MONOTONIC, turn) for turn in range(3)]
    assert [positions(r.items) for r in reads] == [[second.pk, first.pk], [first.pk], []]


def test_monotonic_never_reads_a_replica_staler_than_what_was_seen():
    first = factories.write("one", stream=MONOTONIC)
    second = factories.write("two", stream=MONOTONIC)
    projector.apply("fast", second.pk)
    projector.apply("medium", first.pk)
    seen = 0
    for turn in range(6):
        read = guarantees.monotonic(MONOTONIC, seen, turn)
        assert read.watermark >= seen
        seen = max(seen, read.watermark)
        if turn:
            assert positions(read.items) == [second.pk, first.pk]
            assert read.source == "fast"


def test_monotonic_reads_the_log_when_every_replica_is_behind():
    event = factories.write("one", stream=MONOTONIC)
    read = guarantees.monotonic(MONOTONIC, event.pk, 0)
    assert read.source == guarantees.LEADER
    assert positions(read.items) == [event.pk]
    assert [name for name, _ in read.skipped] == ["fast", "medium", "slow"]


def test_monotonic_forgets_a_past_the_reset_log_no_longer_has():
    event = factories.write("one", stream=MONOTONIC)
    assert guarantees.monotonic(MONOTONIC, event.pk + 100, 0).source == "fast"


def test_an_answer_that_overtook_its_question_shows_naively_and_waits_in_the_trick():
    question = factories.write("Q: coffee?", stream=THREAD)
    answer = factories.write("A: room B", stream=THREAD)
    projector.apply("arrival", answer.pk)
    naive = guarantees.as_arrived("arrival", THREAD)
    assert [(p.item.position, p.after) for p in naive.posts] == [(answer.pk, question.pk)]
    trick = guarantees.in_log_order("arrival", THREAD)
    assert trick.posts == [] and trick.waiting_for == question.pk and trick.buffered == 1
    projector.apply("arrival", question.pk)
    naive = guarantees.as_arrived("arrival", THREAD)
    assert [p.item.position for p in naive.posts] == [question.pk, answer.pk]  # newest arrival on top
    trick = guarantees.in_log_order("arrival", THREAD)
    assert [p.item.position for p in trick.posts] == [answer.pk, question.pk] and not trick.waiting_for


def test_the_arrival_replica_keeps_its_watermark_below_a_gap():
    first = factories.write("one", stream=THREAD)
    second = factories.write("two", stream=THREAD)
    projector.apply("arrival", second.pk)
    marks = projector.marks("arrival")
    assert marks == {"checkpoint": first.pk - 1, "high_water": second.pk}
