"""What a page shows live, by region and by group, rendered from the demos' declarations."""

from demos import fragments, live, registry, verdicts
from demos.groups import (
    CONTROL,
    CURTAIN,
    FOLLOW,
    LAG,
    ROOM,
    STREAM_PREFIX,
    TIMELINE_PREFIX,
    stream_group,
    timeline_group,
)

from . import follow, patch, room


def known_groups() -> set[str]:
    demos = registry.demos()
    return {
        LAG,
        CURTAIN,
        ROOM,
        CONTROL,
        FOLLOW,
        stream_group("curtain"),
        *(d.group for d in demos),
        *(d.timeline_group for d in demos),
    }


def live_list(stream: str) -> str:
    """The id of the list a page of `stream` updates item by item, or '' if none."""
    demo = registry.get(stream)
    return demo.live_list if demo and demo.pushed else ""


def stream_replica(stream: str) -> str | None:
    """The replica whose applies a demo page of `stream` shows live, if any."""
    demo = registry.get(stream)
    return demo.replica if demo and demo.pushed else None


def stream_update(stream: str) -> str:
    """The live list of a demo page of `stream`, as its replica holds it now; '' if none."""
    demo = registry.get(stream)
    return demo.pushed() if demo and demo.pushed else ""


def patched(name: str) -> bool:
    """Whether the region `name` is pushed as patches (push/patch.py) rather than whole: the
    timelines, and the pages of demos that say so."""
    kind, _, stream = name.partition(":")
    if kind == "timeline":
        return not stream or registry.get(stream) is not None
    demo = registry.get(stream) if kind == "stream" else None
    return bool(demo and demo.pushed and demo.patched and not demo.live_list)


def draw_patch(name: str) -> None:
    """Push what changed in the patched region `name` since its last drawing."""
    patch.draw(name, group_of(name), lambda: region(name)[1])


def patch_snapshot(name: str) -> str:
    """The patched region `name` whole, numbered: what a page starts from."""
    return patch.snapshot(name, group_of(name), lambda: region(name)[1])


def session_update(event, replica_name: str) -> str:
    """What only the writer's own pages show after `replica_name` settled their write."""
    demo = registry.get(event.stream)
    return demo.pushed_to_session(event, replica_name) if demo and demo.pushed_to_session else ""


def process_update(process) -> str:
    """What only the starter's pages show after their business process moved on."""
    demo = registry.get(process.stream)
    return demo.progressed(process) if demo and demo.progressed else ""


def group_of(name: str) -> str:
    """The group that shows a region the push layer redraws."""
    kind, _, arg = name.partition(":")
    if kind in ("curtain-log", "curtain-replica") or (kind == "timeline" and not arg):
        return CURTAIN
    if kind == "timeline":
        return timeline_group(arg)
    if kind == "stream":
        return stream_group(arg)
    if kind == "room":
        return ROOM
    raise ValueError(f"unknown region {name!r}")


def region(name: str) -> tuple[str, str]:
    """(group, HTML) of a region the push layer redraws; see push/coalesce.py."""
    kind, _, arg = name.partition(":")
    if kind == "curtain-log":
        return CURTAIN, fragments.curtain_log(oob=True)
    if kind == "curtain-replica":
        return CURTAIN, fragments.curtain_replica(arg, oob=True)
    if kind == "timeline":
        return (timeline_group(arg) if arg else CURTAIN), fragments.timeline(arg or None, oob=True)
    if kind == "stream":
        return stream_group(arg), stream_update(arg)
    if kind == "room":
        return ROOM, room.badge(oob=True)
    raise ValueError(f"unknown region {name!r}")


def snapshot(group: str) -> list[str]:
    """Everything a page listening to `group` shows live, as it is now, in as many messages as
    it takes (a patched region is a message of its own): the first thing a socket gets on every
    connect, so a page that was offline catches up."""
    if group == LAG:
        return [fragments.lag_badge(oob=True)]
    if group == ROOM:
        return [room.badge(oob=True)]
    if group == FOLLOW:
        return [follow.marker(oob=True)]
    if group == CURTAIN:
        return [fragments.curtain_log(oob=True) + fragments.curtain_replicas(oob=True), patch_snapshot("timeline:")]
    if group.startswith(STREAM_PREFIX):
        stream = group.removeprefix(STREAM_PREFIX)
        # And the panes' verdicts (demos/verdicts.py), swapped in by id.
        return _stream_snapshot(stream) + ([html] if (html := verdicts.fragment(stream)) else [])
    if group.startswith(TIMELINE_PREFIX):
        return [patch_snapshot(f"timeline:{group.removeprefix(TIMELINE_PREFIX)}")]
    return []


def _stream_snapshot(stream: str) -> list[str]:
    if patched(f"stream:{stream}"):
        return [patch_snapshot(f"stream:{stream}")]
    if not live_list(stream):
        return [html] if (html := stream_update(stream)) else []
    # The number first: a frame pushed while the list renders is in it, or comes after.
    seq = live.current_seq(stream)
    return [stream_update(stream) + live.seq_marker(stream, seq)]


def timeline_regions(streams) -> list[str]:
    """The curtain's timeline (every stream) and each stream's own."""
    return ["timeline:", *(f"timeline:{s}" for s in sorted(set(streams)))]
