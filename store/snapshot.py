"""One read point for a read that spans several queries, so what it concludes holds at once."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def snapshot() -> Iterator[None]:
    """Every query inside sees the database as of one moment.

    PostgreSQL's default (READ COMMITTED) takes a new snapshot per statement, so the block asks
    for REPEATABLE READ. SQLite in WAL mode keeps one snapshot per transaction; this app opens
    it with BEGIN IMMEDIATE, which also keeps writers out until the block ends (milliseconds).
    Inside a transaction someone else opened, that transaction's isolation decides.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield
