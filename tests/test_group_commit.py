"""The group commit (store/log.py): appends that wait together are written in one transaction,
each with its own answer; one that waits too long is withdrawn, unwritten. On SQLite and on
PostgreSQL: the appends are held back by a transaction that holds the appends' lock."""

import contextlib
import threading
import uuid

import pytest
from django.db import transaction

from store import log, signals
from store.data import ensure_replicas
from store.models import Delivery, Event, Replica
from tests import factories
from tests.conftest import wait_until
from tests.helpers import thread

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def replicas():
    ensure_replicas()


@pytest.fixture
def announced():
    """The groups announced: each `accepted` announcement's keys."""
    groups: list[list[str]] = []

    def record(events, **kwargs):
        groups.append([e.key for e in events])

    signals.accepted.connect(record, dispatch_uid="test-group-commit")
    yield groups
    signals.accepted.disconnect(dispatch_uid="test-group-commit")


class Appends:
    """Appends from threads of their own, each answer (or error) kept by key."""

    def __init__(self):
        self.answers: dict[str, log.Appended | Exception] = {}
        self.threads: list[threading.Thread] = []

    def start(self, key: str, text: str = "hello", wait_s: float | None = None) -> None:
        def work():
            try:
                self.answers[key] = log.append("curtain", key, {"text": text}, wait_s=wait_s)
            except Exception as error:  # noqa: BLE001 - the test looks at it
                self.answers[key] = error

        self.threads.append(thread(work, bound_s=0))

    def join(self) -> None:
        for started in self.threads:
            started.join(20)
        assert not any(t.is_alive() for t in self.threads)


@contextlib.contextmanager
def appends_held():
    """Another transaction holds the appends' lock until the block ends; a first append, made at
    once, leads and waits for it, so every append started inside the block queues behind it."""
    held, release = threading.Event(), threading.Event()

    def holder():
        with transaction.atomic():  # inside a transaction: written there, the lock kept to the end
            factories.write("holding the appends' lock")
            held.set()
            release.wait(20)

    holding = thread(holder, bound_s=0)
    assert held.wait(10)
    appends = Appends()
    appends.start(f"lead-{uuid.uuid4().hex}")
    wait_until(lambda: log._group.leading and not log._group.queue, what="the first append to lead")
    try:
        yield appends
    finally:
        release.set()
        holding.join(20)
        appends.join()


def test_appends_that_wait_together_are_written_in_one_transaction_each_with_its_own_position(announced):
    keys = [f"group-{i}-{uuid.uuid4().hex}" for i in range(6)]
    with appends_held() as appends:
        for key in keys:
            appends.start(key, text=key)
        wait_until(lambda: len(log._group.queue) == len(keys), what="every append queued")
    events = {key: appends.answers[key].event for key in keys}
    assert all(appends.answers[key].created for key in keys)
    assert log.announced(10)
    # One announcement for the group (its one commit), in the order they arrived.
    assert [g for g in announced if set(g) & set(keys)] == [keys]
    positions = [events[key].pk for key in keys]
    assert positions == sorted(positions) and len(set(positions)) == len(keys)
    stored = {e.key: e for e in Event.objects.filter(key__in=keys)}
    assert {key: stored[key].pk for key in keys} == {key: events[key].pk for key in keys}
    assert all(stored[key].text == key for key in keys)
    # Each with its deliveries, to every replica serving the stream, due and recorded as sent.
    serving = {r.pk for r in Replica.serving("curtain")}
    for key in keys:
        deliveries = Delivery.objects.filter(event=stored[key])
        assert {d.replica_id for d in deliveries} == serving
        assert all(d.enqueue_count == 1 and d.due_at >= stored[key].accepted_at for d in deliveries)


def test_the_same_key_twice_in_one_group_is_one_event_and_another_command_under_it_is_refused(announced):
    key = f"twice-{uuid.uuid4().hex}"
    again, other = Appends(), Appends()  # answers are kept by key: one Appends per try
    with appends_held() as appends:
        for i, (tries, text) in enumerate([(appends, "same"), (again, "same"), (other, "different")]):
            tries.start(key, text=text)
            wait_until(lambda n=i + 1: len(log._group.queue) == n, what="the next try queued")
    again.join()
    other.join()
    first = appends.answers[key]
    assert first.created
    assert again.answers[key].event.pk == first.event.pk and not again.answers[key].created
    assert isinstance(other.answers[key], log.KeyConflict)
    assert Event.objects.filter(key=key).count() == 1


def test_an_append_that_waits_too_long_is_withdrawn_unwritten_and_the_rest_are_written(announced):
    late, patient = f"late-{uuid.uuid4().hex}", f"patient-{uuid.uuid4().hex}"
    with appends_held() as appends:
        appends.start(patient)
        appends.start(late, wait_s=0.2)
        wait_until(lambda: late in appends.answers, what="the impatient append to give up")
        assert isinstance(appends.answers[late], log.Crowded)
        assert [c.key for c in log._group.queue] == [patient]
    assert appends.answers[patient].created
    assert not Event.objects.filter(key=late).exists()
    assert log.announced(10)
    assert not any(late in group for group in announced)


def test_an_append_inside_a_transaction_is_written_in_it_not_in_a_group():
    with transaction.atomic():
        event = factories.write("mine")
        assert Event.objects.filter(pk=event.pk).exists()
        transaction.set_rollback(True)
    assert not Event.objects.filter(pk=event.pk).exists()
    assert not log._group.leading


def test_a_write_is_answered_once_committed_while_its_group_is_announced_behind_it():
    """The drains and the `accepted` announcement follow the commit on a thread of their own: a
    slow broker or listener does not hold the write's answer, and the groups are still announced
    one by one, in the order they were committed."""
    release = threading.Event()
    heard: list[list[str]] = []

    def slow(events, **kwargs):
        release.wait(20)
        heard.append([e.key for e in events])

    signals.accepted.connect(slow, dispatch_uid="test-group-commit-slow")
    try:
        first, second = f"first-{uuid.uuid4().hex}", f"second-{uuid.uuid4().hex}"
        assert log.append("curtain", first, {"text": "first"}).created
        assert log.append("curtain", second, {"text": "second"}).created  # answered, the first still unheard
        assert heard == [] and not log.announced(0.2)
        release.set()
        assert log.announced(10)
        assert heard == [[first], [second]]
    finally:
        release.set()
        signals.accepted.disconnect(dispatch_uid="test-group-commit-slow")


def test_an_announcement_that_fails_does_not_stop_the_next(monkeypatch):
    announce = log._announce_group
    failed = []

    def fails_once(*written):
        if not failed:
            failed.append(written[0][0].key)
            raise RuntimeError("the broker went away")
        announce(*written)

    monkeypatch.setattr(log, "_announce_group", fails_once)
    heard: list[str] = []
    signals.accepted.connect(
        lambda events, **kw: heard.extend(e.key for e in events), dispatch_uid="test-gc-next", weak=False
    )
    try:
        keys = [f"after-{i}-{uuid.uuid4().hex}" for i in range(2)]
        for key in keys:
            log.append("curtain", key, {"text": key})
        assert log.announced(10)
        assert failed == keys[:1] and heard == keys[1:]
    finally:
        signals.accepted.disconnect(dispatch_uid="test-gc-next")
