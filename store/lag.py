"""Lag settings: validated changes, the countdown each delivery waits, and the badge text."""

import hashlib
import json

from django.core.exceptions import ValidationError
from django.db import transaction

from . import signals, tasks
from .models import LagSettings, Replica

FIELDS = ("delay_ms", "jitter_ms", "failure_rate", "paused", "reorder", "seed")


def format_ms(ms: int) -> str:
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:g} s"


def update(changes: dict, replica_lag: dict[str, int] | None = None) -> LagSettings:
    """Validate and save a change of the lag settings; refuse it whole if any value is bad.

    Healing a partition re-enqueues everything that queued up; every open page hears of the
    change through the lag badge.
    """
    with transaction.atomic():
        lag = LagSettings.load()
        was_paused = lag.paused
        for name, value in changes.items():
            if name not in FIELDS:
                raise ValidationError({name: "unknown setting"})
            setattr(lag, name, value)
        lag.full_clean()
        replicas = []
        for name, extra in (replica_lag or {}).items():
            try:
                replica = Replica.objects.get(pk=name)
            except Replica.DoesNotExist:
                raise ValidationError({name: "no such replica"}) from None
            replica.extra_lag_ms = extra
            replica.full_clean()
            replicas.append(replica)
        lag.save()
        for replica in replicas:
            replica.save(update_fields=["extra_lag_ms"])
        after_change(was_paused, lag.paused)
    return lag


def after_change(was_paused: bool, paused: bool) -> None:
    """Call inside the transaction that saved the settings (also from the admin).

    The change is saved either way; a page that missed the announcement gets the new badge
    with its next connect's snapshot."""
    if was_paused and not paused:
        transaction.on_commit(tasks.heal)
    signals.announce_on_commit(signals.lag_changed)


def describe() -> dict:
    lag = LagSettings.load()
    return {
        **{name: getattr(lag, name) for name in FIELDS},
        "replicas": {r.name: r.extra_lag_ms for r in Replica.objects.all()},
    }


def fingerprint() -> str:
    """A short digest of every setting: a control panel showing this one needs no redraw."""
    return hashlib.sha256(json.dumps(describe(), sort_keys=True).encode()).hexdigest()[:12]
