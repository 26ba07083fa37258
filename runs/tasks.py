from celery import shared_task

from . import recorder


@shared_task(ignore_result=True)
def flush() -> int:
    """Persist the buffered run events (celery beat, every few seconds). Safe to run twice: a lock."""
    return recorder.flush()
