"""The write side: validate a command and append it to the event log in one transaction."""

import hashlib
import string
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from . import signals
from .models import Delivery, Event, LagSettings, Replica
from .tasks import enqueue_appended

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
    if not key or len(key) > MAX_KEY or not set(key) <= KEY_CHARS:
        raise CommandError("Missing or malformed idempotency key.")
    return key


def session_ref(raw_key: str | None) -> str:
    """What the log keeps of a browser session's key: its SHA-256, never the key itself, so the
    log and the admin hand out no session. Compare stored `Event.session_key` with this.

    A ref passes through unchanged (a session key is never 64 hex digits), so a reader handed
    the stored ref (a push for the writer's session) reads as that session."""
    if not raw_key:
        return ""
    if len(raw_key) == 64 and set(raw_key) <= set("0123456789abcdef"):
        return raw_key
    return hashlib.sha256(raw_key.encode()).hexdigest()


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
    refusable: bool = True,
) -> Appended:
    """Append one event and its deliveries; enqueue the deliveries once the commit is durable.

    The same key with the same command returns the existing event; with another command it
    raises KeyConflict. A write that is not `refusable` (a fact, like a run scored) is accepted
    for good at once: the failure rate never rejects it. `session_key` is the raw key of the
    writing session; only its hash is stored.
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
                verdict="" if refusable else "ok",
            )
            lag = LagSettings.load()
            # Sent to the broker once the commit is durable, and recorded as sent right here.
            sent = {} if lag.paused else {"enqueued_at": now, "last_enqueued_at": now, "enqueue_count": 1}
            deliveries = Delivery.objects.bulk_create(
                Delivery(
                    event=event, replica=replica, **sent, due_at=event.accepted_at + lag.due_after(replica, event.pk)
                )
                for replica in Replica.serving(stream)
            )
            if not lag.paused:
                # Robust: once committed the write stands, whatever befalls its reminders (the
                # sweeper re-sends them); an error here must not turn a 202 into a 500.
                transaction.on_commit(lambda: enqueue_appended(deliveries), robust=True)
            signals.announce_on_commit(signals.accepted, event=event)
    except IntegrityError:
        # A concurrent double submit won the race for the key.
        return _same_or_conflict(Event.objects.get(key=key), stream, kind, payload)
    return Appended(event, created=True)


def _same_or_conflict(existing: Event, stream: str, kind: str, payload: dict) -> Appended:
    if (existing.stream, existing.kind, existing.payload) != (stream, kind, payload):
        raise KeyConflict("This idempotency key was already used for a different write.")
    return Appended(existing, created=False)
