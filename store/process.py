"""Business processes: a chain of services (a checkout: payment, stock, shipping), each step a
Celery task with its own delay and failure chance taken from the lag settings.

A step that fails undoes the steps already done, newest first (compensation: "payment
refunded"), so a process ends either completed or failed with nothing left half done.
Every change is announced (signals.progressed) so the writer's pages can follow it live.
"""

import random
from dataclasses import asdict, dataclass

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from . import signals
from .log import session_ref
from .models import LagSettings, Process

WAITING, RUNNING, DONE, FAILED, UNDOING, UNDONE = "waiting", "running", "done", "failed", "undoing", "undone"
UNDO_WEIGHT = 0.5  # a compensation takes half as long as its step


@dataclass(frozen=True)
class Step:
    name: str
    weight: float  # its delay, as a share of the lag's delay
    share: float  # its part of the lag's failure rate (see fail_chance)
    failure: str  # what the customer is told when it fails
    undo: str  # what its compensation did ("payment refunded")


def _countdown_s(lag: LagSettings, weight: float) -> float:
    return (lag.delay_ms * weight + random.randint(0, lag.jitter_ms)) / 1000


def fail_chance(rate: float, share: float) -> float:
    """One step's chance to fail: steps whose shares add up to 1 fail, together, at `rate`
    (and at rate 1 the first step with a share always fails)."""
    return 1 - (1 - rate) ** share


def _ms_since(process: Process) -> int:
    return round((timezone.now() - process.started_at).total_seconds() * 1000)


def start(stream: str, key: str, text: str, steps: tuple[Step, ...], session_key: str = "") -> Process:
    """Record the process and send its first step on its way once the commit is durable.
    The same key twice is one process."""
    existing = Process.objects.filter(key=key).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        process = Process.objects.create(
            key=key,
            stream=stream,
            session_key=session_ref(session_key),  # its hash, as the log keeps it
            text=text,
            started_at=timezone.now(),
            steps=[{**asdict(s), "state": WAITING, "started_ms": None, "ended_ms": None} for s in steps],
        )
        _begin(process, 0, LagSettings.load())
        process.save(update_fields=["steps"])
    return process


def _begin(process: Process, index: int, lag: LagSettings) -> None:
    step = process.steps[index]
    step.update(state=RUNNING, started_ms=_ms_since(process))
    countdown = _countdown_s(lag, step["weight"])
    transaction.on_commit(lambda: run_step.apply_async((process.pk, index), countdown=countdown))


def _begin_undo(process: Process, lag: LagSettings) -> bool:
    """Start undoing the newest step still done; False when nothing is left to undo."""
    done = [i for i, s in enumerate(process.steps) if s["state"] == DONE]
    if not done:
        return False
    index = done[-1]
    process.steps[index].update(state=UNDOING)
    countdown = _countdown_s(lag, process.steps[index]["weight"] * UNDO_WEIGHT)
    transaction.on_commit(lambda: undo_step.apply_async((process.pk, index), countdown=countdown))
    return True


def _finish(process: Process, state: str) -> None:
    process.state = state
    process.finished_at = timezone.now()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_step(process_id: int, index: int) -> str:
    """Idempotent: a step that is no longer running is left alone."""
    with transaction.atomic():
        process = Process.objects.filter(pk=process_id).first()
        if process is None or process.steps[index]["state"] != RUNNING:
            return "skipped"
        lag = LagSettings.load()
        step = process.steps[index]
        failed = random.random() < fail_chance(lag.failure_rate, step["share"])
        step.update(state=FAILED if failed else DONE, ended_ms=_ms_since(process))
        if failed:
            process.reason = step["failure"]
            if not _begin_undo(process, lag):
                _finish(process, Process.FAILED)
        elif index + 1 < len(process.steps):
            _begin(process, index + 1, lag)
        else:
            _finish(process, Process.COMPLETED)
        process.save()
        signals.announce_on_commit(signals.progressed, process=process)
    return step["state"]


@shared_task(acks_late=True, reject_on_worker_lost=True)
def undo_step(process_id: int, index: int) -> str:
    """Idempotent: a step that is no longer being undone is left alone."""
    with transaction.atomic():
        process = Process.objects.filter(pk=process_id).first()
        if process is None or process.steps[index]["state"] != UNDOING:
            return "skipped"
        process.steps[index].update(state=UNDONE, undone_ms=_ms_since(process))
        if not _begin_undo(process, LagSettings.load()):
            _finish(process, Process.FAILED)
        process.save()
        signals.announce_on_commit(signals.progressed, process=process)
    return UNDONE
