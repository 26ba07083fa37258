"""HTML fragments shared by the HTTP views and the websocket push, so markup never drifts.

Each function renders a template partial; `oob=True` marks it for an htmx out-of-band swap.
"""

from dataclasses import dataclass

from django.template.loader import render_to_string

from store.models import Delivery, Event, LagSettings, Replica

from . import verdicts
from .groups import CURTAIN
from .reads import Item
from .timeline import section_id, timeline_svg

# The newest writes each of the curtain's panes lists: about what a projector shows of a pane
# without scrolling, with the log's total beside it. At 25 a phone scrolled 13,000 px through five
# panes, and a room following the presenter there was sent the page and its snapshot, 120 KB each.
RECENT = 10
STATES = {"ok": "confirmed", "rejected": "rejected", "": "pending"}


@dataclass(frozen=True)
class CurtainItem(Item):
    """An item behind the curtain: which stream it belongs to, and each replica's state."""

    stream: str = ""
    chips: tuple[tuple[str, str], ...] = ()


def lag_badge(oob: bool = False) -> str:
    return render_to_string("base.html#lag-badge", {"lag": LagSettings.load(), "oob": oob})


def log_context() -> dict:
    events = list(Event.objects.order_by("-id")[:RECENT])
    replicas = list(Replica.objects.all())
    states = {
        (d.event_id, d.replica_id): d.state
        for d in Delivery.objects.filter(event__in=events).only("event_id", "replica_id", "state")
    }
    rows = [
        CurtainItem(
            e.key,
            e.text,
            e.pk,
            STATES[e.verdict],
            e.reason,
            stream=e.stream,
            # Only the replicas the event goes to: a stream with a cluster of its own skips the rest.
            chips=tuple((r.name, states[(e.pk, r.name)]) for r in replicas if (e.pk, r.name) in states),
        )
        for e in events
    ]
    return {"rows": rows, "replicas": replicas, "total": Event.objects.count()}


def replica_context(replica: Replica) -> dict:
    deliveries = (
        Delivery.objects.filter(replica=replica)
        .exclude(state=Delivery.QUEUED)
        .select_related("event")
        .order_by("-event_id")[:RECENT]
    )
    items = [
        CurtainItem(
            d.event.key,
            d.event.text,
            d.event_id,
            "confirmed" if d.state == Delivery.APPLIED else "rejected",
            d.event.reason if d.state == Delivery.REJECTED else "",
            stream=d.event.stream,
        )
        for d in deliveries
    ]
    queued = Delivery.objects.filter(replica=replica, state=Delivery.QUEUED).count()
    return {"replica": replica, "items": items, "queued": queued}


def curtain_context() -> dict:
    """Everything the curtain page shows: the log and each replica's pane."""
    context = log_context()
    panes = [replica_context(r) for r in context["replicas"]]
    return {**context, "panes": panes, "group": CURTAIN, "judged_runs": verdicts.recent()}


def curtain_log(oob: bool = False) -> str:
    return render_to_string("demos/curtain.html#log", {**log_context(), "oob": oob})


def curtain_replica(name: str, oob: bool = False) -> str:
    context = replica_context(Replica.objects.get(pk=name))
    return render_to_string("demos/curtain.html#replica", {**context, "oob": oob})


def curtain_verdicts(oob: bool = False) -> str:
    """The newest runs the history checker judged, with each checked pane's verdict."""
    return render_to_string("demos/curtain.html#verdicts", {"judged_runs": verdicts.recent(), "oob": oob})


def curtain_replicas(oob: bool = False) -> str:
    return "".join(curtain_replica(r.name, oob) for r in Replica.objects.all())


def timeline(stream: str | None = None, oob: bool = False, limit: int = 8) -> str:
    """Conference mode: the timeline section of `stream`'s newest writes (all streams if None)."""
    context = {
        "svg": timeline_svg(stream, limit),
        "stream": stream,
        "limit": limit,
        "timeline_id": section_id(stream),
        "oob": oob,
    }
    return render_to_string("demos/timeline.html#timeline", context)
