"""Calls raced against each other for real: the conflicts demo's buyers and editors, and the tests."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connections


def at_once(calls: list) -> list:
    """Run every call in its own thread, released together: a real race, every time.

    Each thread has its own database connection, as concurrent requests would."""
    start = threading.Barrier(len(calls))

    def run(call):
        try:
            start.wait()
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
