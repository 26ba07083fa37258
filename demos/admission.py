"""Admission control in front of the write path: at most WRITE_CONCURRENCY writes of this
process in their transaction at once. SQLite runs one writing transaction at a time anyway;
hundreds of threads queueing on its lock sleep and poll, and the unlucky ones ran out of
patience (503). Waiting here is in order, and one that waits longer than WRITE_ADMIT_WAIT_MS
is answered 429 with its reason and Retry-After: nothing was written, the page sends it again."""

import contextlib
import threading

from django.conf import settings

RETRY_AFTER_S = 1
CROWDED = "Everyone is writing at once: yours is not written yet. Sending it again in a moment…"


class Crowded(Exception):
    """The write waited its turn too long; nothing was written."""


_gate = threading.BoundedSemaphore(settings.WRITE_CONCURRENCY)


@contextlib.contextmanager
def admitted():
    if not _gate.acquire(timeout=settings.WRITE_ADMIT_WAIT_MS / 1000):
        raise Crowded(CROWDED)
    try:
        yield
    finally:
        _gate.release()
