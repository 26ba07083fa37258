"""A write that finds the database locked by another writer answers "busy, retry" quickly
instead of queueing behind the lock for as long as the worker is willing to wait."""

import contextlib

from django.db import OperationalError, connection


def is_busy(error: Exception) -> bool:
    """SQLite's "database is locked" / "database table is locked": another writer holds it."""
    return isinstance(error, OperationalError) and "locked" in str(error)


@contextlib.contextmanager
def patience(ms: int):
    """Within this block, wait at most `ms` for another writer's lock (SQLite only).

    The connection's own timeout stays long for everything else: the worker and the sweeper
    should wait out a busy moment, a person pressing a button should hear about it.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA busy_timeout = {int(ms)}")
    try:
        yield
    finally:
        if connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {int(before)}")
