"""HTML fragments shared by the HTTP views and the websocket push, so markup never drifts.

Each function renders a template partial; `oob=True` marks it for an htmx out-of-band swap.
"""

from django.template.loader import render_to_string

from conference.timeline import section_id, timeline_svg
from store.models import Delivery, Event, LagSettings, Replica

from .catalog import STREAMS

RECENT = 25


def known_groups() -> set[str]:
    return {"lag", "curtain", *(f"stream.{s}" for s in STREAMS)}


def lag_badge(oob: bool = False) -> str:
    return render_to_string("base.html#lag-badge", {"lag": LagSettings.load(), "oob": oob})


def log_context() -> dict:
    events = list(Event.objects.order_by("-id")[:RECENT])
    replicas = list(Replica.objects.all())
    states = {
        (d.event_id, d.replica_id): d.state
        for d in Delivery.objects.filter(event__in=events).only("event_id", "replica_id", "state")
    }
    rows = [{"event": e, "states": [(r.name, states.get((e.pk, r.name), "")) for r in replicas]} for e in events]
    return {"rows": rows, "replicas": replicas, "total": Event.objects.count()}


def replica_context(replica: Replica) -> dict:
    deliveries = (
        Delivery.objects.filter(replica=replica)
        .exclude(state=Delivery.QUEUED)
        .select_related("event")
        .order_by("-event_id")[:RECENT]
    )
    queued = Delivery.objects.filter(replica=replica, state=Delivery.QUEUED).count()
    return {"replica": replica, "deliveries": deliveries, "queued": queued}


def curtain_context() -> dict:
    """Everything the curtain page shows: the log and each replica's pane."""
    context = log_context()
    return {**context, "panes": [replica_context(r) for r in context["replicas"]]}


def curtain_log(oob: bool = False) -> str:
    return render_to_string("demos/curtain.html#log", {**log_context(), "oob": oob})


def curtain_replica(name: str, oob: bool = False) -> str:
    context = replica_context(Replica.objects.get(pk=name))
    return render_to_string("demos/curtain.html#replica", {**context, "oob": oob})


def curtain_replicas(oob: bool = False) -> str:
    return "".join(curtain_replica(r.name, oob) for r in Replica.objects.all())


def _live_demos() -> dict:
    """Demos whose page shows a replica's list live: stream -> module (REPLICA, pushed())."""
    # Imported late: the demo modules import the push layer, which imports this module.
    from . import optimistic, push_demo

    return {"optimistic": optimistic, "push": push_demo}


def stream_replica(stream: str) -> str | None:
    """The replica whose applies a demo page of `stream` shows live, if any."""
    demo = _live_demos().get(stream)
    return demo.REPLICA if demo else None


def region(name: str) -> tuple[str, str]:
    """(group, HTML) of a region the push layer redraws; see push/coalesce.py."""
    kind, _, arg = name.partition(":")
    if kind == "curtain-log":
        return "curtain", curtain_log(oob=True)
    if kind == "curtain-replica":
        return "curtain", curtain_replica(arg, oob=True)
    if kind == "timeline":
        return ("stream." + arg if arg else "curtain"), timeline(arg or None, oob=True)
    if kind == "stream":
        return "stream." + arg, stream_update(arg)
    raise ValueError(f"unknown region {name!r}")


def stream_update(stream: str) -> str:
    """The live list of a demo page of `stream`, as its replica holds it now; '' if none."""
    demo = _live_demos().get(stream)
    return demo.pushed() if demo else ""


def session_update(event, replica_name: str) -> str:
    """What only the writer's own pages show after `replica_name` settled their write."""
    from . import pending

    if event.stream == "pending":
        return pending.pushed_to_session(replica_name, event)
    return ""


def timeline(stream: str | None = None, oob: bool = False, limit: int = 8) -> str:
    """Conference mode: the timeline section of `stream`'s newest writes (all streams if None)."""
    context = {
        "svg": timeline_svg(stream, limit),
        "stream": stream,
        "limit": limit,
        "timeline_id": section_id(stream),
        "oob": oob,
    }
    return render_to_string("conference/timeline.html#timeline", context)


def snapshot(group: str) -> str:
    if group == "lag":
        return lag_badge(oob=True)
    if group == "curtain":
        return curtain_log(oob=True) + curtain_replicas(oob=True) + timeline(oob=True)
    if group.startswith("stream."):
        stream = group.removeprefix("stream.")
        # A reconnecting page catches up from its replica's current list.
        return stream_update(stream) + timeline(stream, oob=True)
    return ""
