"""A quorum over a replica cluster: a write counts only once a majority of replicas has it.

The CP side of the CAP demo proposes a write to the log, waits (bounded) until a majority of
its cluster's replicas has applied it, and withdraws it if that cannot happen: a write the
majority never acknowledged is never shown by any reader, not even after a partition heals.
"""

import asyncio
import time
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.db import transaction

from . import signals
from .models import Delivery, Event, LagSettings, Replica

# A node that hears no heartbeat from the majority for this long gives up on it (failure detector).
DETECT_S = 1.0
# Without a partition a quorum still may not come in time (a huge lag): give up after this.
BOUND_S = 12.0
POLL_S = 0.05


@dataclass(frozen=True)
class Verdict:
    committed: bool
    waited_ms: int
    acks: int
    reason: str = ""


def majority(cluster: list[str]) -> int:
    return len(cluster) // 2 + 1


def cluster(stream: str) -> list[str]:
    return list(Replica.objects.filter(stream=stream).values_list("name", flat=True))


def reachable() -> bool:
    """Whether the replicas answer heartbeats: the partition switch cuts every link at once."""
    return not LagSettings.load().paused


def acks(position: int, names: list[str]) -> int:
    """How many replicas of `names` hold the event at `position`."""
    return Delivery.objects.filter(event_id=position, replica_id__in=names).exclude(state=Delivery.QUEUED).count()


@sync_to_async
def _look(position: int, names: list[str]) -> tuple[int, bool]:
    return acks(position, names), reachable()


async def await_majority(position: int, names: list[str], *, detect_s=DETECT_S, bound_s=BOUND_S) -> Verdict:
    """Wait until a majority of `names` has applied `position`; refuse as soon as the majority
    has been unreachable for `detect_s`, or after `bound_s` in any case."""
    need = majority(names)
    started = time.monotonic()
    cut_since = None
    while True:
        got, up = await _look(position, names)
        waited = round((time.monotonic() - started) * 1000)
        if got >= need:
            return Verdict(True, waited, got)
        now = time.monotonic()
        if up:
            cut_since = None
        elif cut_since is None:
            cut_since = now
        if cut_since is not None and now - cut_since >= detect_s:
            return Verdict(False, waited, got, "no majority")
        if now - started >= bound_s:
            return Verdict(False, waited, got, f"no majority within {bound_s:g} s")
        await asyncio.sleep(POLL_S)


def withdraw(position: int, names: list[str]) -> bool:
    """Take a proposal that missed its quorum out of the log and out of every replica; False
    (and nothing done) if a majority of `names` has it after all: then it stands."""
    with transaction.atomic():
        event = Event.objects.filter(pk=position).first()
        if event is None:
            return True
        had = list(event.deliveries.exclude(state=Delivery.QUEUED).values_list("replica_id", flat=True))
        if len(set(had) & set(names)) >= majority(names):
            return False
        event.delete()
        signals.announce_on_commit(signals.withdrawn, stream=event.stream, replicas=had)
    return True
