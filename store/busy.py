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
    connection.ensure_connection()
    before = connection.busy_timeout_ms  # showcase/sqlite keeps it: no statement to read it
    connection.set_busy_timeout(ms)
    try:
        yield
    finally:
        if connection.connection is not None:
            connection.set_busy_timeout(before)
