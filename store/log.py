"""The write side: validate a command and append it to the event log in one transaction."""

import hashlib
import string
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from . import lag as lag_settings
from .models import Delivery, Event, LagSettings, Replica

MAX_TEXT = 140
MAX_KEY = 64
# ASCII only: str.isalnum() also passes "é" or "١", which the URLs that carry a key refuse.
KEY_CHARS = frozenset(string.ascii_letters + string.digits + "-_")
# Any fixed number: the one PostgreSQL advisory lock that appends take in turn.
APPEND_LOCK = 0x5E11_6A3E


class CommandError(ValueError):
    """The command is invalid; nothing was written."""


class KeyConflict(CommandError):
    """The idempotency key was already used for a different command."""


@dataclass(frozen=True)
class Appended:
    event: Event
    created: bool  # False: the key was seen before and this is the same event again


def clean_text(text: str) -> str:
    text = " ".join(str(text).split())
    if not text:
        raise CommandError("Write something first.")
    if len(text) > MAX_TEXT:
        raise CommandError(f"Keep it to {MAX_TEXT} characters (this is {len(text)}).")
    return text


def clean_key(key: str) -> str:
    key = str(key).strip()
    if not key or len(key) > MAX_KEY or not set(key) <= KEY_CHARS:
        raise CommandError("Missing or malformed idempotency key.")
    return key


def session_ref(raw_key: str | None) -> str:
    """What the log keeps of a browser session's key: its SHA-256, never the key itself, so the
    log and the admin hand out no session. Compare stored `Event.session_key` with this."""
    return hashlib.sha256(raw_key.encode()).hexdigest() if raw_key else ""


def lock_appends() -> None:
    """Call inside the appending transaction: appends then commit in the order of their ids.

    PostgreSQL hands out ids at insert, not at commit, so without this a later write can become
    visible before an earlier one and an ordered replica would apply it first (and its watermark
    would pass the earlier one). SQLite already runs one writing transaction at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK])


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
    raises KeyConflict. `session_key` is the raw key of the writing session; only its hash is stored.
    """
    key = clean_key(key)
    existing = Event.objects.filter(key=key).first()
    if existing is not None:
        return _same_or_conflict(existing, stream, kind, payload)
    now = timezone.now()
    try:
        with transaction.atomic():
            lock_appends()
            event = Event.objects.create(
                stream=stream,
                kind=kind,
                key=key,
                payload=payload,
                session_key=session_ref(session_key),
                submitted_at=submitted_at or now,
            )
            lag = LagSettings.load()
            Delivery.objects.bulk_create(
                Delivery(
                    event=event,
                    replica=replica,
                    due_at=event.accepted_at + lag_settings.due_after(lag, replica),
                )
                for replica in Replica.objects.all()
            )
            if not lag.paused:
                from .tasks import enqueue_event

                transaction.on_commit(lambda: enqueue_event(event.pk))
    except IntegrityError:
        # A concurrent double submit won the race for the key.
        return _same_or_conflict(Event.objects.get(key=key), stream, kind, payload)
    return Appended(event, created=True)


def _same_or_conflict(existing: Event, stream: str, kind: str, payload: dict) -> Appended:
    if (existing.stream, existing.kind, existing.payload) != (stream, kind, payload):
        raise KeyConflict("This idempotency key was already used for a different write.")
    return Appended(existing, created=False)
