"""Data migrations of the store, run forward on rows made with the old schema."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from store import log

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target: tuple[str, str]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return MigrationExecutor(connection).loader.project_state([target]).apps


def test_checkpoint_split_turns_the_highest_applied_into_an_honest_watermark():
    apps = migrate(("store", "0002_event_seen_at"))
    Event, Replica, Delivery = (apps.get_model("store", m) for m in ("Event", "Replica", "Delivery"))
    arrival = Replica.objects.create(name="arrival", ordered=False, checkpoint=0)
    now = timezone.now()
    events = [Event.objects.create(stream="s", key=f"k{i}", submitted_at=now) for i in range(3)]
    for event, state in zip(events, ["applied", "queued", "applied"], strict=True):
        Delivery.objects.create(event=event, replica=arrival, state=state, due_at=now)
    arrival.checkpoint = events[2].pk  # what the old as-it-arrives projector wrote
    arrival.save()
    try:
        apps = migrate(("store", "0003_checkpoint_split"))
        arrival = apps.get_model("store", "Replica").objects.get(pk="arrival")
        assert (arrival.checkpoint, arrival.high_water) == (events[1].pk - 1, events[2].pk)
    finally:
        call_command("migrate", verbosity=0)


def test_raw_session_keys_already_in_the_log_are_hashed():
    apps = migrate(("store", "0003_checkpoint_split"))
    Event = apps.get_model("store", "Event")
    raw = "abcdefghijklmnopqrstuvwxyz012345"
    event = Event.objects.create(stream="s", key="k", session_key=raw, submitted_at=timezone.now())
    try:
        apps = migrate(("store", "0004_hashed_session_keys"))
        assert apps.get_model("store", "Event").objects.get(pk=event.pk).session_key == log.session_ref(raw)
    finally:
        call_command("migrate", verbosity=0)
