"""The SQLite backend that keeps connections for the next request (showcase/sqlite): it hands
back only a connection in a clean state, opened by the process that asks."""

import functools
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db.utils import ConnectionHandler

from tests.conftest import wait_until


def wrapper(path):
    """A fresh Django connection to `path`, as a new request's thread gets one."""
    return ConnectionHandler({"default": {"ENGINE": "showcase.sqlite", "NAME": str(path), "OPTIONS": {"timeout": 20}}})[
        "default"
    ]


@pytest.fixture(autouse=True)
def _own_files(django_db_blocker):
    """These connections go to files of the test's own, not to the test database."""
    with django_db_blocker.unblock():
        yield


def off_the_loop(test):
    """Run `test` in a thread of its own, as a request's sync code runs: a browser test earlier
    in the session may leave an event loop running in the main thread, where Django refuses
    to connect."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(test, *args, **kwargs).result()

    return run


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "kept.sqlite3"


def opened(path):
    connection = wrapper(path)
    connection.ensure_connection()
    return connection


@off_the_loop
def test_a_closed_connection_serves_the_next_request_with_its_busy_timeout_restored(db_path):
    first = opened(db_path)
    raw = first.connection
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE t (x)")
        cursor.execute("PRAGMA busy_timeout = 50")  # as store/busy.py shortens it for a write
    first.close()
    second = opened(db_path)
    assert second.connection is raw
    with second.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone() == (20_000,)
        cursor.execute("INSERT INTO t VALUES (1)")
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone() == (1,)
    second.close()


@off_the_loop
def test_a_connection_inside_a_transaction_or_after_a_database_error_is_closed_for_real(db_path):
    busy = opened(db_path)
    raw = busy.connection
    raw.execute("BEGIN")
    busy.close()
    assert opened(db_path).connection is not raw
    failed = opened(db_path)
    raw = failed.connection
    with pytest.raises(Exception, match="no such table"), failed.cursor() as cursor:
        cursor.execute("SELECT * FROM missing")
    assert failed.errors_occurred
    failed.close()
    assert opened(db_path).connection is not raw


@off_the_loop
def test_a_connection_inherited_across_a_fork_is_never_handed_out_in_the_child(db_path):
    parent = opened(db_path)
    raw = parent.connection
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child, as a Celery pool process closing what it inherited
        try:
            parent.close()
            child = opened(db_path)
            os.write(writer, b"reused" if child.connection is raw else b"fresh")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(reader, 16) == b"fresh"
    parent.close()
    assert opened(db_path).connection is raw, "the parent's own connection is still its to reuse"


def immediate(path, timeout: float = 20):
    """A connection whose transactions begin IMMEDIATE, as the app's do (showcase/settings.py)."""
    options = {"timeout": timeout, "transaction_mode": "IMMEDIATE"}
    connection = ConnectionHandler({"default": {"ENGINE": "showcase.sqlite", "NAME": str(path), "OPTIONS": options}})[
        "default"
    ]
    connection.ensure_connection()
    return connection


def busy_timeout(connection) -> int:
    return connection.connection.execute("PRAGMA busy_timeout").fetchone()[0]


@off_the_loop
def test_a_transaction_polls_for_another_writers_lock_and_keeps_its_timeout(db_path):
    """BEGIN IMMEDIATE that finds the lock taken is tried again after short pauses, not left to
    SQLite's busy handler (whose sleeps grow to 25 ms within 100 ms): it begins once the lock is
    let go, with its busy timeout as before. Held past the timeout, it fails as Django reports a
    locked database (store/busy.py), its timeout restored."""
    from django.db import OperationalError

    from store.busy import is_busy

    holder = immediate(db_path)
    holder.connection.execute("PRAGMA journal_mode = WAL")
    holder.connection.execute("CREATE TABLE t (x)")
    holder.connection.execute("BEGIN IMMEDIATE")
    waiter = immediate(db_path)
    begins = []
    waiter.connection.set_trace_callback(lambda sql: begins.append(sql) if sql.startswith("BEGIN") else None)

    def let_go():
        wait_until(lambda: len(begins) >= 3, timeout=5, what="BEGIN tried again while the lock is held")
        holder.connection.execute("COMMIT")

    with ThreadPoolExecutor(1) as pool:
        released = pool.submit(let_go)
        waiter._start_transaction_under_autocommit()
        released.result()
    assert waiter.connection.in_transaction
    waiter.connection.execute("INSERT INTO t VALUES (1)")
    waiter.connection.execute("COMMIT")
    assert busy_timeout(waiter) == 20_000

    holder.connection.execute("BEGIN IMMEDIATE")
    hurried = immediate(db_path, timeout=0.05)
    with pytest.raises(OperationalError) as refused:
        hurried._start_transaction_under_autocommit()
    assert is_busy(refused.value)
    assert not hurried.connection.in_transaction
    assert busy_timeout(hurried) == 50
    holder.connection.execute("COMMIT")


AUTOCHECKPOINT = """
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("PRAGMA wal_autocheckpoint")
    print(cursor.fetchone()[0])
"""


@pytest.mark.parametrize(("web", "pages"), [("1", 0), ("", 1000)])
def test_a_web_process_leaves_the_checkpoints_to_the_worker(tmp_path, web, pages):
    """A commit that finds the WAL past its limit checkpoints it, 10-60 ms of copying and fsync:
    in a web process that was sometimes the presenter's write. Its connections checkpoint nothing
    (showcase/serve.py says it is one); the worker's do, and its sweep (store/tasks.py)."""
    env = {**os.environ, "SHOWCASE_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "showcase.settings"}
    env.pop("DATABASE_URL", None)
    env["SHOWCASE_WEB_PROCESS"] = web
    shown = subprocess.run([sys.executable, "-c", AUTOCHECKPOINT], env=env, capture_output=True, text=True, check=True)
    assert int(shown.stdout.strip()) == pages


@pytest.mark.django_db(transaction=True)
def test_the_sweep_checkpoints_the_wal():
    from django.db import connection

    from store import tasks

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's WAL only")
    ran = []
    connection.ensure_connection()
    connection.connection.set_trace_callback(ran.append)
    try:
        tasks.sweep()
    finally:
        connection.connection.set_trace_callback(None)
    assert "PRAGMA wal_checkpoint(PASSIVE)" in ran
