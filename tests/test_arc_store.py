"""Unit tests of what the talk's arc adds to the store: a cluster of its own for a stream, the
quorum that CP waits for (and withdraws without), and business processes with compensation."""

import asyncio

import pytest

from store import log, process, projector, quorum
from store.data import ensure_replicas
from store.models import Delivery, Event, LagSettings, Process, Replica
from tests import factories

pytestmark = pytest.mark.django_db
CLUSTER = ["cap-a", "cap-b", "cap-c"]
CHECKOUT = (
    process.Step("payment", 1.0, 0.0, "payment declined", "nothing was charged"),
    process.Step("stock", 0.5, 1.0, "sold out", "payment refunded"),
)


@pytest.fixture(autouse=True)
def replicas():
    ensure_replicas()


def test_a_stream_with_a_cluster_goes_only_to_its_own_replicas():
    cap = factories.write("seat", stream="cap")
    other = factories.write("hello", stream="curtain")
    assert set(cap.deliveries.values_list("replica_id", flat=True)) == set(CLUSTER)
    shared = set(Replica.objects.filter(stream="").values_list("name", flat=True))
    assert set(other.deliveries.values_list("replica_id", flat=True)) == shared
    assert not shared & set(CLUSTER)


def test_withdraw_takes_a_minority_proposal_out_of_the_log_and_every_replica():
    event = factories.write("seat", stream="cap", kind="cap.cp")
    projector.apply("cap-a", event.pk)
    assert quorum.acks(event.pk, CLUSTER) == 1
    assert quorum.withdraw(event.pk, CLUSTER) is True
    assert not Event.objects.filter(pk=event.pk).exists()
    assert not Delivery.objects.filter(event_id=event.pk).exists()


def test_withdraw_leaves_a_write_a_majority_already_holds():
    event = factories.write("seat", stream="cap", kind="cap.cp")
    projector.apply("cap-a", event.pk)
    projector.apply("cap-b", event.pk)
    assert quorum.withdraw(event.pk, CLUSTER) is False
    assert Event.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_await_majority_commits_once_two_of_three_have_it():
    event = factories.write("seat", stream="cap", kind="cap.cp")
    projector.apply("cap-a", event.pk)
    projector.apply("cap-c", event.pk)
    verdict = asyncio.run(quorum.await_majority(event.pk, CLUSTER, detect_s=0.2, bound_s=2))
    assert verdict.committed and verdict.acks == 2


@pytest.mark.django_db(transaction=True)
def test_await_majority_refuses_when_the_majority_is_cut_off():
    event = factories.write("seat", stream="cap", kind="cap.cp")
    LagSettings.objects.update(paused=True)
    verdict = asyncio.run(quorum.await_majority(event.pk, CLUSTER, detect_s=0.2, bound_s=5))
    assert not verdict.committed and verdict.reason == "no majority"


def test_a_process_runs_its_steps_in_order_and_completes():
    factories.lag(failure_rate=1.0)
    order = process.start("business-process", factories.key(), "ticket", CHECKOUT[:1])
    factories.lag(failure_rate=0.0)
    assert order.steps[0]["state"] == process.RUNNING
    assert process.run_step(order.pk, 0) == process.DONE
    order.refresh_from_db()
    assert order.state == Process.COMPLETED and order.finished_at


def test_a_failed_step_undoes_the_done_ones_then_fails():
    factories.lag(failure_rate=1.0)
    order = process.start("business-process", factories.key(), "ticket", CHECKOUT)
    assert process.run_step(order.pk, 0) == process.DONE  # its share of the failure rate is 0
    assert process.run_step(order.pk, 1) == process.FAILED
    order.refresh_from_db()
    assert order.state == Process.RUNNING and order.steps[0]["state"] == process.UNDOING
    assert process.undo_step(order.pk, 0) == process.UNDONE
    assert process.undo_step(order.pk, 0) == "skipped"  # idempotent
    order.refresh_from_db()
    assert order.state == Process.FAILED and order.reason == "sold out"
    assert [s["state"] for s in order.steps] == [process.UNDONE, process.FAILED]


def test_the_same_key_starts_one_process():
    key = factories.key()
    first = process.start("business-process", key, "ticket", CHECKOUT)
    assert process.start("business-process", key, "ticket", CHECKOUT).pk == first.pk


def test_cp_and_ap_copies_of_one_click_are_two_events():
    key = factories.key()
    log.append("cap", f"cp-{key}", {"text": "x"}, kind="cap.cp")
    log.append("cap", f"ap-{key}", {"text": "x"}, kind="cap.ap")
    assert Event.objects.filter(stream="cap").count() == 2


def test_step_failure_chances_add_up_to_the_failure_rate():
    shares = [s.share for s in (process.Step("a", 1, 1 / 3, "", ""),) * 3]
    survive = 1.0
    for share in shares:
        survive *= 1 - process.fail_chance(0.3, share)
    assert abs((1 - survive) - 0.3) < 1e-9
    assert process.fail_chance(1.0, 1 / 3) == 1.0 and process.fail_chance(1.0, 0.0) == 0.0
