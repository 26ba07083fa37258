"""Server push: when the store announces a change (store/signals.py), render each affected
fragment once and publish it to the Channels group that shows it. Consumers only forward."""

from django.template.loader import render_to_string

from demos import fragments, verdicts
from demos.groups import CONTROL, CURTAIN, LAG, session_ref_group, stream_group
from store import lag, trace
from store.models import Delivery

from . import coalesce, regions
from .channel import send


def lag_changed(**kwargs) -> None:
    send(LAG, fragments.lag_badge(oob=True))
    # Open control panels fetch themselves again, each with its own session and CSRF token.
    send(CONTROL, render_to_string("push/control_refresh.html", {"state": lag.fingerprint()}))
    # The curtain's replica headings show each replica's extra lag.
    send(CURTAIN, fragments.curtain_replicas(oob=True))


def accepted(events, **kwargs) -> None:
    """Writes entered the log (a group commit's): the curtain's log and the timelines show them soon.

    Drawn by a task, never in the request that answers 202."""
    coalesce.changed(regions.CURTAIN_LOG, regions.ROOM_BADGE, *regions.timeline_regions({e.stream for e in events}))


def settled(replica: str, deliveries: list[Delivery], **kwargs) -> None:
    """`replica` settled `deliveries`: push each to what shows it, here in the worker.

    A live list gets the one item (a few hundred bytes per socket), not the whole list; the
    writer's own pages get their outcome; the curtain and the timelines are redrawn, coalesced.
    """
    pushed = []
    whole_lists = set()
    for delivery in deliveries:
        stream = delivery.event.stream
        if regions.stream_replica(stream) == replica:
            if regions.live_list(stream):
                send(stream_group(stream), regions.live_item(stream, delivery), counted=False)
                pushed.append(delivery.pk)
            else:
                whole_lists.add(stream)
        # The log keeps the session's hash (store.log.session_ref): its group is named from that.
        if delivery.event.session_key and (html := regions.session_update(delivery.event, replica)):
            send(session_ref_group(delivery.event.session_key), html)
            pushed.append(delivery.pk)
    trace.mark_pushed(pushed)
    streams = sorted({d.event.stream for d in deliveries})
    coalesce.changed(
        *(regions.stream(s) for s in sorted(whole_lists)),
        regions.CURTAIN_LOG,
        regions.curtain_replica(replica),
        here=True,
    )
    coalesce.changed(*regions.timeline_regions(streams))


def seen(streams: set[str], **kwargs) -> None:
    """A browser rendered items of `streams` for the first time: their lanes gain a mark."""
    coalesce.changed(*regions.timeline_regions(streams))


def withdrawn(stream: str, replicas: list[str], **kwargs) -> None:
    """A proposal left the log (no quorum): redraw whatever may have shown it."""
    replica_regions = [regions.curtain_replica(r) for r in replicas]
    coalesce.changed(regions.CURTAIN_LOG, *replica_regions, regions.stream(stream), *regions.timeline_regions({stream}))


def shared(stream: str, html: str, **kwargs) -> None:
    """A page's read that the demo's other pages show too (demos/shared.py)."""
    send(stream_group(stream), html)


def progressed(process, **kwargs) -> None:
    """A business process moved on: its starter's pages first, then the stream's live picture."""
    if process.session_key and (html := regions.process_update(process)):
        send(session_ref_group(process.session_key), html)
    coalesce.changed(regions.stream(process.stream), here=True)


def judged(slug: str, **kwargs) -> None:
    """The history checker judged a run of `slug`: its panes' verdicts, and the curtain's list."""
    send(stream_group(slug), verdicts.fragment(slug))
    send(CURTAIN, fragments.curtain_verdicts(oob=True), counted=False)  # not in the curtain's snapshot


def everything_changed(**kwargs) -> None:
    """After a reset: every group gets a fresh snapshot."""
    for group in regions.known_groups():
        for message in regions.snapshot(group):
            send(group, message)
