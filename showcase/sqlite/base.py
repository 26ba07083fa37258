"""Django's SQLite backend, whose connections outlive the request that opened them.

Under ASGI every request runs its sync code in a thread of its own, and Django's connections
belong to a thread: each request opened a connection, and SQLite parsed the schema and prepared
every statement again, about 3.5 ms of CPU a write (a third of what the write view costs on a
connection kept open). Here a connection closed outside a transaction waits, idle, for the next
connect in the same process. PostgreSQL has its driver's pool for this (Django's `pool`
option); SQLite has none.

Only a connection in a clean state waits: no transaction open, no database error seen, opened
by this process (a Celery worker's forked children close what they inherited for real), and
its busy timeout set back to the configured one (store/busy.py shortens it for a request).

A transaction's BEGIN waits for another writer's lock in short polls before SQLite's own busy
handler, whose sleeps grow fast: see `_start_transaction_under_autocommit`.
"""

import os
import sqlite3
import threading
import time

from django.db.backends.sqlite3 import base

# BEGIN IMMEDIATE that finds another writer's lock is tried again after these pauses, for at most
# POLL_FOR_S, then left to SQLite's busy handler for the rest of the timeout: that handler sleeps 1,
# 2, 5, 10, 15, 20, 25 ms..., so a lock held 4 ms was waited 8 ms for, and one held 9 ms, 18 ms.
FIRST_PAUSE_S = 0.00025
MAX_PAUSE_S = 0.002
POLL_FOR_S = 0.2

# Idle connections kept per process and database; more are closed for real. A room following
# the projector is hundreds of requests in one moment, each in a thread of its own: with 16 kept,
# most opened a connection anew (a fifth of a followed page's CPU in a profile).
KEEP = 64


class DatabaseWrapper(base.DatabaseWrapper):
    _idle: dict[tuple[int, str], list] = {}
    _lock = threading.Lock()
    _opened_by: int | None = None
    busy_timeout_ms = 0  # the PRAGMA's value, kept as it is set (get_new_connection, set_busy_timeout)

    def _idle_here(self) -> list:
        return self._idle.setdefault((os.getpid(), str(self.settings_dict["NAME"])), [])

    def get_new_connection(self, conn_params):
        self._opened_by = os.getpid()
        self.busy_timeout_ms = self._configured_timeout_ms()  # as a kept connection is reset to
        with self._lock:
            idle = self._idle_here()
            if idle:
                return idle.pop()
        return super().get_new_connection(conn_params)

    def _start_transaction_under_autocommit(self):
        """BEGIN (IMMEDIATE), polling for another writer's lock every few hundred microseconds
        at first rather than in SQLite's coarse sleeps; the connection's timeout is kept whole."""
        conn = self.connection
        timeout_ms = self.busy_timeout_ms
        begin = "BEGIN" if self.transaction_mode is None else f"BEGIN {self.transaction_mode}"
        started = time.monotonic()
        pause = FIRST_PAUSE_S
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    conn.execute(begin)
                    return
                except sqlite3.OperationalError as error:
                    waited = time.monotonic() - started
                    if "locked" not in str(error) or waited + pause > min(POLL_FOR_S, timeout_ms / 1000):
                        break
                time.sleep(pause)
                pause = min(2 * pause, MAX_PAUSE_S)
            # The rest of the timeout with SQLite's own waiting, and its error, as Django raises it.
            conn.execute(f"PRAGMA busy_timeout = {max(0, round(timeout_ms - waited * 1000))}")
            super()._start_transaction_under_autocommit()
        finally:
            conn.execute(f"PRAGMA busy_timeout = {timeout_ms}")

    def _configured_timeout_ms(self) -> int:
        return int(self.settings_dict["OPTIONS"].get("timeout", 5) * 1000)

    def set_busy_timeout(self, ms: int) -> None:
        """How long this connection waits for another writer's lock (store/busy.py), kept here
        too: a transaction's BEGIN reads it without a statement."""
        self.ensure_connection()
        self.connection.execute(f"PRAGMA busy_timeout = {int(ms)}")
        self.busy_timeout_ms = int(ms)

    def _close(self):
        if self._reusable():
            with self._lock:
                idle = self._idle_here()
                if len(idle) < KEEP:  # reset only a connection that will wait; the rest just close
                    self.connection.execute(f"PRAGMA busy_timeout = {self._configured_timeout_ms()}")
                    idle.append(self.connection)
                    return
        super()._close()

    def _reusable(self) -> bool:
        return (
            self.connection is not None
            and self._opened_by == os.getpid()
            and not self.connection.in_transaction
            and not self.errors_occurred
            and not self.is_in_memory_db()
        )
