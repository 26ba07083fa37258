"""Server push: after the store changes, render each affected fragment once and publish it
to the Channels group that shows it. Consumers only forward the HTML."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from demos import fragments
from store.log import session_ref
from store.models import Delivery, Event

from . import coalesce

LAG = "lag"
CURTAIN = "curtain"


def stream_group(stream: str) -> str:
    return f"stream.{stream}"


def session_group(session_key: str) -> str:
    """Pushes meant for one browser session's pages only (its own writes' outcome)."""
    return session_ref_group(session_ref(session_key))


def session_ref_group(ref: str) -> str:
    """The same group, from the hash the log stores (`store.log.session_ref`)."""
    return "session." + ref[:32]


def send(group: str, html: str) -> None:
    async_to_sync(get_channel_layer().group_send)(group, {"type": "html.fragment", "html": html})


def lag_changed() -> None:
    send(LAG, fragments.lag_badge(oob=True))
    # The curtain's replica headings show each replica's extra lag.
    send(CURTAIN, fragments.curtain_replicas(oob=True))


def accepted(event: Event) -> None:
    """A write entered the log: the curtain's log and the timelines show it soon.

    Drawn by a task, never in the request that answers 202."""
    coalesce.changed("curtain-log", *timeline_regions({event.stream}))


def applied(replica_name: str, deliveries: list[Delivery]) -> None:
    """`replica_name` settled `deliveries`: redraw what shows them, here in the worker."""
    streams = sorted({d.event.stream for d in deliveries})
    # What the audience watches goes first; the curtain's bookkeeping after.
    coalesce.changed(*(f"stream:{s}" for s in streams if fragments.stream_replica(s) == replica_name), here=True)
    for delivery in deliveries:
        if delivery.event.session_key:
            html = fragments.session_update(delivery.event, replica_name)
            if html:
                send(session_ref_group(delivery.event.session_key), html)
    pushed_at = timezone.now()
    coalesce.changed("curtain-log", f"curtain-replica:{replica_name}", here=True)
    Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(pushed_at=pushed_at)
    # After pushed_at is stored, so the redrawn lanes show this push.
    coalesce.changed(*timeline_regions(streams))


def seen(streams: set[str]) -> None:
    """A browser rendered items of `streams` for the first time: their lanes gain a mark."""
    coalesce.changed(*timeline_regions(streams))


def timeline_regions(streams) -> list[str]:
    """The curtain's timeline (every stream) and each stream's own."""
    return ["timeline:", *(f"timeline:{s}" for s in sorted(set(streams)))]


def everything_changed() -> None:
    """After a reset: every group gets a fresh snapshot."""
    for group in fragments.known_groups():
        send(group, fragments.snapshot(group))
