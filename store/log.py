"""The write side: validate a command and append it to the event log in one transaction."""

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import signals
from .models import Delivery, Event, LagSettings, Replica
from .tasks import enqueue_event

MAX_TEXT = 140
MAX_KEY = 64


class CommandError(ValueError):
    """The command is invalid; nothing was written."""


class KeyConflict(CommandError):
    """The idempotency key was already used for a different command."""


@dataclass(frozen=True)
class Appended:
    event: Event
    created: bool  # False: the key was seen before and this is the same event again


# Right-to-left overrides and isolates turn what a reader sees around: "gnp.exe" reads as "exe.png".
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(text: str) -> str:
    text = " ".join(str(text).split())
    if not text:
        raise CommandError("Write something first.")
    if len(text) > MAX_TEXT:
        raise CommandError(f"Keep it to {MAX_TEXT} characters (this is {len(text)}).")
    if any(unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS for c in text):
        raise CommandError("Plain text only: no control or text-direction characters.")
    return text


def clean_key(key: str) -> str:
    key = str(key).strip()
    if not key or len(key) > MAX_KEY or not all(c.isascii() and (c.isalnum() or c in "-_") for c in key):
        raise CommandError("Missing or malformed idempotency key.")
    return key


def append(
    stream: str,
    key: str,
    payload: dict,
    *,
    kind: str = "item.added",
    session_key: str = "",
    submitted_at: datetime | None = None,
) -> Appended:
    """Append one event and its deliveries; enqueue the deliveries once the commit is durable.

    The same key with the same command returns the existing event; with another command it
    raises KeyConflict.
    """
    key = clean_key(key)
    existing = Event.objects.filter(key=key).first()
    if existing is not None:
        return _same_or_conflict(existing, stream, kind, payload)
    now = timezone.now()
    try:
        with transaction.atomic():
            event = Event.objects.create(
                stream=stream,
                kind=kind,
                key=key,
                payload=payload,
                session_key=session_key,
                submitted_at=submitted_at or now,
            )
            lag = LagSettings.load()
            Delivery.objects.bulk_create(
                Delivery(
                    event=event,
                    replica=replica,
                    due_at=event.accepted_at + lag.due_after(replica),
                )
                for replica in Replica.objects.all()
            )
            if not lag.paused:
                # Robust: once committed the write stands, whatever befalls its reminders (the
                # sweeper re-sends them); an error here must not turn a 202 into a 500.
                transaction.on_commit(lambda: enqueue_event(event.pk), robust=True)
            signals.announce_on_commit(signals.accepted, event=event)
    except IntegrityError:
        # A concurrent double submit won the race for the key.
        return _same_or_conflict(Event.objects.get(key=key), stream, kind, payload)
    return Appended(event, created=True)


def _same_or_conflict(existing: Event, stream: str, kind: str, payload: dict) -> Appended:
    if (existing.stream, existing.kind, existing.payload) != (stream, kind, payload):
        raise KeyConflict("This idempotency key was already used for a different write.")
    return Appended(existing, created=False)
