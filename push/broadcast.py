"""Server push: when the store announces a change (store/signals.py), render each affected
fragment once and publish it to the Channels group that shows it. Consumers only forward."""

from django.utils import timezone

from demos import fragments
from demos.groups import CURTAIN, LAG, session_group
from store.models import Delivery

from . import coalesce, regions
from .channel import send


def lag_changed(**kwargs) -> None:
    send(LAG, fragments.lag_badge(oob=True))
    # The curtain's replica headings show each replica's extra lag.
    send(CURTAIN, fragments.curtain_replicas(oob=True))


def accepted(event, **kwargs) -> None:
    """A write entered the log: the curtain's log and the timelines show it soon.

    Drawn by a task, never in the request that answers 202."""
    coalesce.changed("curtain-log", *regions.timeline_regions({event.stream}))


def settled(replica: str, deliveries: list[Delivery], **kwargs) -> None:
    """`replica` settled `deliveries`: redraw what shows them, here in the worker."""
    streams = sorted({d.event.stream for d in deliveries})
    # What the audience watches goes first; the curtain's bookkeeping after.
    coalesce.changed(*(f"stream:{s}" for s in streams if regions.stream_replica(s) == replica), here=True)
    for delivery in deliveries:
        if delivery.event.session_key:
            html = regions.session_update(delivery.event, replica)
            if html:
                send(session_group(delivery.event.session_key), html)
    pushed_at = timezone.now()
    coalesce.changed("curtain-log", f"curtain-replica:{replica}", here=True)
    Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(pushed_at=pushed_at)
    # After pushed_at is stored, so the redrawn lanes show this push.
    coalesce.changed(*regions.timeline_regions(streams))


def seen(streams: set[str], **kwargs) -> None:
    """A browser rendered items of `streams` for the first time: their lanes gain a mark."""
    coalesce.changed(*regions.timeline_regions(streams))


def withdrawn(stream: str, replicas: list[str], **kwargs) -> None:
    """A proposal left the log (no quorum): redraw whatever may have shown it."""
    replica_regions = [f"curtain-replica:{r}" for r in replicas]
    coalesce.changed("curtain-log", *replica_regions, f"stream:{stream}", *regions.timeline_regions({stream}))


def progressed(process, **kwargs) -> None:
    """A business process moved on: its starter's pages first, then the stream's live picture."""
    if process.session_key and (html := regions.process_update(process)):
        send(session_group(process.session_key), html)
    coalesce.changed(f"stream:{process.stream}", here=True)


def everything_changed(**kwargs) -> None:
    """After a reset: every group gets a fresh snapshot."""
    for group in regions.known_groups():
        send(group, regions.snapshot(group))
