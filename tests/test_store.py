"""Unit tests of the store: the log, the projectors, the sweeper and the lag settings."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from store import data, lag, log, projector, tasks
from store.data import ensure_replicas
from store.models import Delivery, Event, LagSettings, Replica
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def replicas():
    ensure_replicas()


def test_append_creates_one_event_and_a_queued_delivery_per_replica():
    event = factories.write("hi")
    assert Event.objects.count() == 1
    assert set(event.deliveries.values_list("replica_id", "state")) == {
        ("fast", "queued"),
        ("slow", "queued"),
        ("medium", "queued"),
        ("arrival", "queued"),
    }


def test_same_key_twice_is_one_event():
    k = factories.key()
    first = log.append("curtain", k, {"text": "once"})
    second = log.append("curtain", k, {"text": "once"})
    assert first.created and not second.created
    assert first.event.pk == second.event.pk
    assert Event.objects.count() == 1


def test_same_key_with_other_payload_is_a_conflict():
    k = factories.key()
    log.append("curtain", k, {"text": "one"})
    with pytest.raises(log.KeyConflict):
        log.append("curtain", k, {"text": "two"})
    assert Event.objects.count() == 1


@pytest.mark.parametrize("text", ["", "   ", "x" * (log.MAX_TEXT + 1)])
def test_bad_text_is_refused(text):
    with pytest.raises(log.CommandError):
        log.clean_text(text)


@pytest.mark.parametrize("key", ["", "a b", "x" * 65, "<script>", "café", "١٢٣", "ａｂｃ", "key\x00", "e\u202e"])
def test_bad_key_is_refused(key):
    with pytest.raises(log.CommandError):
        log.append("curtain", key, {"text": "hi"})
    assert not Event.objects.exists()


def test_due_time_is_delay_plus_extra_lag_plus_jitter():
    factories.lag(delay_ms=1000, jitter_ms=500)
    Replica.objects.filter(pk="slow").update(extra_lag_ms=2000)
    event = factories.write()
    for delivery in event.deliveries.all():
        wait = (delivery.due_at - event.accepted_at) / timedelta(milliseconds=1)
        low = 1000 + delivery.replica.extra_lag_ms
        assert low <= wait <= low + 500


def test_ordered_replica_applies_every_missing_event_up_to_the_target_in_order():
    first, second, third = (factories.write(t) for t in "abc")
    settled = projector.apply("fast", third.pk)
    assert [d.event_id for d in settled] == [first.pk, second.pk, third.pk]
    replica = Replica.objects.get(pk="fast")
    assert (replica.checkpoint, replica.high_water) == (third.pk, third.pk)
    assert [d.apply_seq for d in settled] == [1, 2, 3]


def test_as_it_arrives_replica_applies_just_its_own_event():
    factories.replica("arrival", ordered=False)
    first, second = factories.write("a"), factories.write("b")
    settled = projector.apply("arrival", second.pk)
    assert [d.event_id for d in settled] == [second.pk]
    assert Delivery.objects.get(replica="arrival", event=first).state == "queued"


def test_as_it_arrives_watermark_stays_below_a_gap_and_closes_over_it():
    factories.replica("arrival", ordered=False)
    first, second = factories.write("a"), factories.write("b")
    projector.apply("arrival", second.pk)
    replica = Replica.objects.get(pk="arrival")
    # "Everything up to here" must not claim the first write, which is still queued.
    assert (replica.checkpoint, replica.high_water) == (first.pk - 1, second.pk)
    projector.apply("arrival", first.pk)
    replica.refresh_from_db()
    assert (replica.checkpoint, replica.high_water) == (second.pk, second.pk)


def test_a_rejected_event_counts_as_settled_for_the_watermark():
    factories.lag(failure_rate=1.0)
    event = factories.write()
    projector.apply("fast", event.pk)
    assert Replica.objects.get(pk="fast").checkpoint == event.pk


def test_seed_after_a_restart_keeps_the_watermark_below_queued_writes():
    queued = factories.write("still queued")
    applied = factories.write("applied")
    projector.apply("fast", queued.pk)
    data.seed({"fresh-stream": ["one", "two"]})
    top = Event.objects.order_by("-id").first().pk
    assert top > applied.pk
    fast, slow = Replica.objects.get(pk="fast"), Replica.objects.get(pk="slow")
    assert fast.checkpoint == applied.pk - 1
    assert slow.checkpoint == queued.pk - 1
    assert (fast.high_water, slow.high_water) == (top, top)


def test_applying_twice_changes_nothing():
    event = factories.write()
    assert len(projector.apply("fast", event.pk)) == 1
    assert projector.apply("fast", event.pk) == []
    assert Delivery.objects.filter(replica="fast", state="applied").count() == 1


def test_checkpoint_never_goes_back():
    first, second = factories.write("a"), factories.write("b")
    projector.apply("fast", second.pk)
    projector.apply("fast", first.pk)
    assert Replica.objects.get(pk="fast").checkpoint == second.pk


def test_failure_rate_one_rejects_with_a_reason_and_every_replica_agrees():
    factories.lag(failure_rate=1.0)
    event = factories.write()
    projector.apply("fast", event.pk)
    factories.lag(failure_rate=0.0)
    for replica in Replica.objects.exclude(pk="fast"):
        projector.apply(replica.pk, event.pk)
    event.refresh_from_db()
    assert event.verdict == "rejected"
    assert event.reason in projector.REJECTION_REASONS
    assert set(event.deliveries.values_list("state", flat=True)) == {"rejected"}


def test_nothing_is_applied_while_paused():
    factories.lag(paused=True)
    event = factories.write()
    assert projector.apply("fast", event.pk) == []
    assert Delivery.objects.get(replica="fast", event=event).state == "queued"


def test_sweeper_re_enqueues_only_deliveries_overdue_by_the_grace(settings):
    settings.SWEEP_GRACE_MS = 1000
    overdue, recent = factories.write("old"), factories.write("new")
    long_ago = timezone.now() - timedelta(seconds=5)
    Delivery.objects.filter(event=overdue).update(due_at=long_ago, last_enqueued_at=long_ago)
    assert tasks.sweep() == len(Replica.serving("curtain"))
    # Each append recorded its deliveries as sent once; the sweeper sent the overdue ones again.
    assert set(Delivery.objects.filter(enqueue_count=2).values_list("event_id", flat=True)) == {overdue.pk}
    # Just re-enqueued: the next sweep leaves it alone for another grace period.
    assert tasks.sweep() == 0
    assert Delivery.objects.get(event=recent, replica="fast").enqueue_count == 1


def test_a_delivery_the_broker_refused_after_the_append_is_left_to_the_sweeper(settings, monkeypatch):
    settings.SWEEP_GRACE_MS = 0
    event = factories.write("while the broker is down")
    deliveries = list(Delivery.objects.filter(event=event))
    assert {d.enqueue_count for d in deliveries} == {1}, "the append records its deliveries as sent"

    def refuse(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(tasks.drain, "apply_async", refuse)
    tasks.enqueue_appended(deliveries)
    assert set(Delivery.objects.filter(event=event).values_list("enqueue_count", "last_enqueued_at")) == {(0, None)}
    monkeypatch.undo()
    Delivery.objects.filter(event=event).update(due_at=timezone.now() - timedelta(seconds=1))
    assert tasks.sweep() == len(deliveries)


def test_writes_due_in_the_same_tick_share_one_drain_of_every_replica(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.drain, "apply_async", lambda args, eta: sent.append((args[0], eta)))
    due = timezone.now() + timedelta(seconds=30)  # one tick, far from any other test's claims
    events = [factories.write(f"burst {i}") for i in range(5)]
    deliveries = list(Delivery.objects.filter(event__in=events))
    Delivery.objects.filter(event__in=events).update(due_at=due)
    for delivery in deliveries:
        delivery.due_at = due
    for event in events:  # as each append's commit does, one write at a time
        assert set(tasks.dispatch([d for d in deliveries if d.event_id == event.pk])) == {
            d.pk for d in deliveries if d.event_id == event.pk
        }
    replicas = {r.name for r in Replica.serving("curtain")}
    assert len(replicas) > 1
    assert [sorted(names) for names, _ in sent] == [sorted(replicas)], "one drain, of every replica, for the burst"
    assert all(due <= eta < due + timedelta(milliseconds=tasks.DRAIN_TICK_MS) for _, eta in sent)
    # The sweeper sends past the claims: the drain it finds missing may have been claimed and lost.
    sent.clear()
    tasks.dispatch(deliveries, force=True)
    assert [sorted(names) for names, _ in sent] == [sorted(replicas)]


def test_replicas_due_in_different_ticks_get_a_drain_each_and_a_claim_taken_covers_the_next_write(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.drain, "apply_async", lambda args, eta: sent.append((sorted(args[0]), eta)))
    first, second = factories.write("first"), factories.write("second")
    base = timezone.now() + timedelta(seconds=40)
    later = {"slow": timedelta(seconds=5)}  # one replica lags behind the others
    for event in (first, second):
        for delivery in Delivery.objects.filter(event=event):
            delivery.due_at = base + later.get(delivery.replica_id, timedelta())
            delivery.save(update_fields=["due_at"])
    replicas = sorted(r.name for r in Replica.serving("curtain"))
    assert "slow" in replicas
    tasks.dispatch(list(Delivery.objects.filter(event=first)))
    assert sorted(sent) == sorted([([r for r in replicas if r != "slow"], sent[0][1]), (["slow"], sent[1][1])])
    sent.clear()
    assert set(tasks.dispatch(list(Delivery.objects.filter(event=second)))) == set(
        Delivery.objects.filter(event=second).values_list("pk", flat=True)
    ), "covered by the drains the first write sent"
    assert sent == []


def test_a_drain_of_several_replicas_applies_each_and_one_that_fails_leaves_the_others_done(monkeypatch):
    event = factories.write("shared drain")
    Delivery.objects.filter(event=event).update(due_at=timezone.now() - timedelta(seconds=1))
    real = projector.apply_due_on

    def fail_on_fast(names, *args, **kwargs):
        if "fast" in names:
            raise RuntimeError("the database went away")
        return real(names, *args, **kwargs)

    monkeypatch.setattr(projector, "apply_due_on", fail_on_fast)
    with pytest.raises(RuntimeError):
        tasks.drain(["fast", "arrival"])
    states = dict(Delivery.objects.filter(event=event).values_list("replica_id", "state"))
    assert states["fast"] == "queued" and states["arrival"] == "applied"
    monkeypatch.undo()
    assert tasks.drain(["fast", "arrival"]) == 1, "fast's turn; arrival's delivery is applied already"


def test_a_drain_applies_what_is_due_and_an_ordered_replica_what_came_before_it():
    first, second, third = (factories.write(t) for t in ("first", "second", "third"))
    now = timezone.now()
    Delivery.objects.filter(event=first).update(due_at=now + timedelta(seconds=60))
    Delivery.objects.filter(event=second).update(due_at=now - timedelta(seconds=1))
    Delivery.objects.filter(event=third).update(due_at=now + timedelta(seconds=60))
    # Ordered: #second is due, and a FIFO link delivers #first before it; #third is not due.
    assert [d.event_id for d in projector.apply_due("fast")] == [first.pk, second.pk]
    # As it arrives: only what is due.
    assert [d.event_id for d in projector.apply_due("arrival")] == [second.pk]
    assert projector.apply_due("arrival") == [], "a second drain finds nothing left to apply"
    assert Replica.objects.get(pk="fast").checkpoint == second.pk
    assert Replica.objects.get(pk="arrival").checkpoint == first.pk - 1, "#first is still on its way there"


def test_a_drain_never_applies_early_and_waits_for_what_falls_due_a_moment_later(monkeypatch):
    monkeypatch.setattr(projector, "DUE_SLACK", timedelta(seconds=3))  # room for a slow machine
    event = factories.write("almost due")
    soon = timezone.now() + timedelta(seconds=1)
    Delivery.objects.filter(event=event).update(due_at=soon)
    assert projector.apply_due("fast") == [], "not yet due"
    tasks.drain("fast")  # as a drain whose timer fired a hair early
    applied = Delivery.objects.get(event=event, replica="fast")
    assert applied.state == "applied" and applied.applied_at >= soon


def test_a_drain_during_a_partition_ends_and_applies_nothing():
    event = factories.write()
    Delivery.objects.filter(event=event).update(due_at=timezone.now() + timedelta(milliseconds=10))
    factories.lag(paused=True)
    assert tasks.drain("fast") == 0
    assert Delivery.objects.get(event=event, replica="fast").state == "queued"


def test_sweeper_does_nothing_during_a_partition(settings):
    settings.SWEEP_GRACE_MS = 0
    event = factories.write()
    Delivery.objects.filter(event=event).update(due_at=timezone.now() - timedelta(seconds=5))
    factories.lag(paused=True)
    assert tasks.sweep() == 0


def test_heal_gives_every_queued_delivery_a_fresh_due_time():
    factories.lag(paused=True, delay_ms=500, jitter_ms=0)
    event = factories.write()
    before = timezone.now()
    assert tasks.heal() == len(Replica.serving("curtain"))
    for delivery in Delivery.objects.filter(event=event):
        assert delivery.due_at >= before + timedelta(milliseconds=500)
        assert delivery.enqueue_count == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"delay_ms": -1},
        {"delay_ms": 30_001},
        {"jitter_ms": 10_001},
        {"failure_rate": 1.5},
        {"failure_rate": -0.1},
    ],
)
def test_out_of_range_lag_is_refused_and_changes_nothing(changes):
    factories.lag(delay_ms=700)
    with pytest.raises(ValidationError):
        lag.update(changes)
    assert LagSettings.load().delay_ms == 700


def test_lag_command_prints_and_changes_settings(capsys):
    call_command("lag", "--delay-ms", "1500", "--failure-rate", "0.25", "--replica-lag", "slow=3000")
    out = capsys.readouterr().out
    assert "delay_ms: 1500" in out and "failure_rate: 0.25" in out
    assert Replica.objects.get(pk="slow").extra_lag_ms == 3000


@pytest.mark.parametrize(
    "args",
    [
        ["--delay-ms", "-5"],
        ["--failure-rate", "2"],
        ["--replica-lag", "slow=99999"],
        ["--replica-lag", "nope=1"],
        ["--replica-lag", "slow"],
        ["--failure-rate", "nan"],
        ["--failure-rate", "inf"],
        ["--failure-rate", "-inf"],
        ["--failure-rate", "-1"],
        ["--failure-rate", "1e9"],
        ["--failure-rate", "lots"],
        ["--delay-ms", "1e9"],
        ["--delay-ms", "nan"],
        ["--jitter-ms", "ten"],
    ],
)
def test_lag_command_refuses_bad_values_with_a_message(args):
    factories.lag(delay_ms=700, failure_rate=0.1)
    with pytest.raises(CommandError) as error:
        call_command("lag", *args)
    assert str(error.value) and "Traceback" not in str(error.value)
    assert (LagSettings.load().delay_ms, LagSettings.load().failure_rate) == (700, 0.1)


def test_a_write_that_cannot_be_refused_is_accepted_for_good_at_once():
    factories.lag(failure_rate=1.0)
    event = factories.write("home 1", refusable=False)
    assert event.verdict == "ok"
    assert [d.state for d in projector.apply("fast", event.pk)] == ["applied"]


@pytest.mark.parametrize("rate", [float("nan"), float("inf"), float("-inf")])
def test_a_failure_rate_that_is_not_a_number_is_refused_by_the_model(rate):
    factories.lag(failure_rate=0.1)
    with pytest.raises(ValidationError, match="failure_rate"):
        lag.update({"failure_rate": rate})
    with pytest.raises(ValidationError):
        LagSettings(failure_rate=rate).full_clean()
    assert LagSettings.load().failure_rate == 0.1


def test_session_keys_are_stored_hashed_and_compared_through_session_ref():
    event = factories.write(session_key="raw-session-key")
    event.refresh_from_db()
    assert event.session_key == log.session_ref("raw-session-key")
    assert "raw-session-key" not in event.session_key and len(event.session_key) == 64
    assert log.session_ref("") == ""


def test_the_admin_never_shows_a_raw_session_key(admin_client):
    event = factories.write(session_key="raw-session-key")
    for url in (f"/admin/store/event/{event.pk}/change/", "/admin/store/event/"):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert "raw-session-key" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_worker_closes_after_its_task_a_connection_the_task_left_broken():
    """The worker keeps its connections across tasks (settings' CELERY_DB_REUSE_MAX); one that
    can no longer run a query is closed when its task ends (showcase/celery.py), and the next
    task connects anew. One that saw an error but still works stays open."""
    from concurrent.futures import ThreadPoolExecutor

    from celery.signals import task_postrun
    from django.db import connection

    import showcase.celery  # noqa: F401 - connects the handler

    if connection.vendor != "postgresql":
        pytest.skip("Django takes every SQLite connection for usable (make test-postgres runs this)")

    def task_thread():  # a thread of its own, as a prefork child's: none of the test's loops
        try:
            connection.ensure_connection()
            connection.errors_occurred = True
            task_postrun.send(sender=None)
            assert connection.connection is not None, "a working connection was closed"
            connection.connection.close()  # behind Django's back, as a restarted server would
            connection.errors_occurred = True
            task_postrun.send(sender=None)
            assert connection.connection is None
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(task_thread).result()
