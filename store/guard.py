"""Guarded appends: decide against the log in the same transaction that appends.

An invariant ("never sell more than we have", "never overwrite an edit you did not see") can't
be checked on a replica: by the time the replica answers, other writes may already be in the
log. Here the check reads the log itself, and the append happens in the same transaction,
while every other guarded append on the same subject waits its turn. Nothing else is locked:
appends to other subjects, and unguarded appends, go on as before.
"""

from collections.abc import Callable
from datetime import datetime
from zlib import crc32

from django.db import connection, transaction

from .log import Appended, CommandError, append, clean_key
from .models import Event

# Any fixed number: the first half of each subject's PostgreSQL advisory lock.
GUARD_LOCK_CLASS = 0x5E11_0C0C


class Refused(CommandError):
    """The invariant said no; nothing was written. `details` says why, for the answer."""

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.details = details


def lock(subject: str) -> None:
    """Call inside the transaction: guarded appends on `subject` now run one at a time.

    PostgreSQL: a transaction-scoped advisory lock, released at commit or rollback.
    SQLite: the settings open every transaction IMMEDIATE, so writers already run one at a
    time; were they DEFERRED, the read-then-write upgrade would fail ("database is locked"),
    never let two deciders both pass.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The lock's two keys are int4: crc32 shifted into the signed range.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [GUARD_LOCK_CLASS, crc32(subject.encode()) - 2**31])


def append_if(
    stream: str,
    key: str,
    payload: dict,
    *,
    subject: str,
    decide: Callable[[], None],
    kind: str = "item.added",
    session_key: str = "",
    submitted_at: datetime | None = None,
) -> Appended:
    """Append the event only if `decide()` (reading the log) does not raise Refused.

    The same key again is the same event, decided once: a retry of an accepted command is
    accepted again, never refused because its own first try used up the stock.
    """
    key = clean_key(key)
    with transaction.atomic():
        lock(subject)
        if not Event.objects.filter(key=key).exists():
            decide()
        return append(stream, key, payload, kind=kind, session_key=session_key, submitted_at=submitted_at)
