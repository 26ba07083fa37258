from celery import shared_task

from . import verdicts


@shared_task(ignore_result=True)
def judge(slug: str) -> None:
    """Judge the demo's newest run (demos/history.py schedules it, debounced). Idempotent: the
    same operations give the same verdicts."""
    verdicts.judge(slug)
