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
"""

import os
import threading

from django.db.backends.sqlite3 import base

# Idle connections kept per process and database; more are closed for real. A room following
# the projector is hundreds of requests in one moment, each in a thread of its own: with 16 kept,
# most opened a connection anew (a fifth of a followed page's CPU in a profile).
KEEP = 64


class DatabaseWrapper(base.DatabaseWrapper):
    _idle: dict[tuple[int, str], list] = {}
    _lock = threading.Lock()
    _opened_by: int | None = None

    def _idle_here(self) -> list:
        return self._idle.setdefault((os.getpid(), str(self.settings_dict["NAME"])), [])

    def get_new_connection(self, conn_params):
        self._opened_by = os.getpid()
        with self._lock:
            idle = self._idle_here()
            if idle:
                return idle.pop()
        return super().get_new_connection(conn_params)

    def _close(self):
        if self._reusable():
            with self._lock:
                idle = self._idle_here()
                if len(idle) < KEEP:  # reset only a connection that will wait; the rest just close
                    timeout_ms = int(self.settings_dict["OPTIONS"].get("timeout", 5) * 1000)
                    self.connection.execute(f"PRAGMA busy_timeout = {timeout_ms}")
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
