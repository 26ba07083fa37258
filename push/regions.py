"""What a page shows live, by region and by group, rendered from the demos' declarations."""

from dataclasses import dataclass

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

from . import follow, patch, room, sent


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


@dataclass(frozen=True)
class Region:
    """A part of a page the push layer redraws, built once from what it shows. Its `name` is
    what travels (Redis keys, a redraw task's argument, a patch's data-patch, the refetch URL);
    `parse` turns a name back into the value at those edges, and nowhere else."""

    kind: str  # one of KINDS
    arg: str = ""  # the stream (stream, timeline; "" for the curtain's timeline) or the replica

    KINDS = ("curtain-log", "curtain-replica", "timeline", "stream", "room")
    BARE = ("curtain-log", "room")  # named without an argument

    @classmethod
    def parse(cls, name: str) -> "Region":
        kind, _, arg = name.partition(":")
        if kind not in cls.KINDS or (kind in cls.BARE and arg):
            raise ValueError(f"unknown region {name!r}")
        return cls(kind, arg)

    @property
    def name(self) -> str:
        return self.kind if self.kind in self.BARE else f"{self.kind}:{self.arg}"

    @property
    def group(self) -> str:
        """The group whose pages show it."""
        if self.kind in ("curtain-log", "curtain-replica") or (self.kind == "timeline" and not self.arg):
            return CURTAIN
        if self.kind == "timeline":
            return timeline_group(self.arg)
        if self.kind == "stream":
            return stream_group(self.arg)
        return ROOM

    @property
    def patched(self) -> bool:
        """Pushed as patches (push/patch.py) rather than whole: the timelines, and the pages of
        demos that say so."""
        if self.kind == "timeline":
            return not self.arg or registry.get(self.arg) is not None
        demo = registry.get(self.arg) if self.kind == "stream" else None
        return bool(demo and demo.pushed and demo.patched and not demo.live_list)

    @property
    def live(self) -> bool:
        """A demo page's live list: pushed item by item (live_item), numbered in its stream."""
        return self.kind == "stream" and bool(live_list(self.arg))

    def render(self) -> str:
        """Its HTML as it is now (out of band, swapped in by id)."""
        if self.kind == "curtain-log":
            return fragments.curtain_log(oob=True)
        if self.kind == "curtain-replica":
            return fragments.curtain_replica(self.arg, oob=True)
        if self.kind == "timeline":
            return fragments.timeline(self.arg or None, oob=True)
        if self.kind == "stream":
            return stream_update(self.arg)
        return room.badge(oob=True)


CURTAIN_LOG = Region("curtain-log")
ROOM_BADGE = Region("room")


def stream(slug: str) -> Region:
    return Region("stream", slug)


def curtain_replica(name: str) -> Region:
    return Region("curtain-replica", name)


def timeline(stream: str = "") -> Region:
    """A stream's timeline; "" the curtain's, of every stream."""
    return Region("timeline", stream)


def draw_patch(region: Region) -> None:
    """Push what changed in the patched `region` since its last drawing."""
    patch.draw(region.name, region.group, region.render)


def patch_snapshot(region: Region) -> str:
    """The patched `region` whole, numbered: what a page starts from."""
    return patch.snapshot(region.name, region.group, region.render)


def live_item(stream: str, delivery) -> str:
    """One settled write for the live list of `stream`'s pages, numbered in the stream: a patch
    that inserts it, a few hundred bytes (static/showcase/patch.js puts it in its place)."""
    return patch.insert(
        Region("stream", stream).name, live_list(stream), live.next_seq(stream), live.item_html(delivery)
    )


def live_snapshot(stream: str) -> str:
    """The live list of `stream`'s pages whole, numbered: what a page starts from (on connect),
    or merges with what it has (fetched again, after a number skipped)."""
    # The number first: an item pushed while the list renders is in it, or comes after.
    seq = live.current_seq(stream)
    return patch.whole(Region("stream", stream).name, seq, stream_update(stream))


def session_update(event, replica_name: str) -> str:
    """What only the writer's own pages show after `replica_name` settled their write."""
    demo = registry.get(event.stream)
    return demo.pushed_to_session(event, replica_name) if demo and demo.pushed_to_session else ""


def process_update(process) -> str:
    """What only the starter's pages show after their business process moved on."""
    demo = registry.get(process.stream)
    return demo.progressed(process) if demo and demo.progressed else ""


@dataclass(frozen=True)
class Drawing:
    """Everything a page listening to a group shows live, as it is now (`snapshot`), and the
    group's count read before it was drawn (push/sent.py). Each part is a message: swapped in by
    id, or a patched region's numbered drawing, which a page numbers the patches after it from."""

    sent: str
    parts: tuple[tuple[str, bool], ...]  # (message, numbered)

    @property
    def messages(self) -> list[str]:
        return [message for message, _ in self.parts]

    def for_page(self, drawn: str | None) -> list[str]:
        """What a page needs of it, which was rendered when the group's count was `drawn`: the
        same count, nothing was sent to the group since, so the page shows what the parts
        swapped in by id would; the numbered ones it needs still (patch.js numbers from them)."""
        if drawn is None or drawn != self.sent:
            return self.messages
        return [message for message, numbered in self.parts if numbered]


def drawing(group: str) -> Drawing:
    counted = sent.of(group)  # first: whatever is sent after it is in the drawing, or counted after
    return Drawing(counted, tuple(_parts(group)))


def snapshot(group: str) -> list[str]:
    """Everything a page listening to `group` shows live, as it is now, in as many messages as
    it takes (a patched region is a message of its own): the first thing a socket gets on every
    connect, so a page that was offline catches up."""
    return [message for message, _ in _parts(group)]


def _parts(group: str) -> list[tuple[str, bool]]:
    if group == LAG:
        return [(fragments.lag_badge(oob=True), False)]
    if group == ROOM:
        return [(room.badge(oob=True), False)]
    if group == FOLLOW:
        return [(follow.marker(oob=True), False)]
    if group == CURTAIN:
        return [
            (fragments.curtain_log(oob=True) + fragments.curtain_replicas(oob=True), False),
            (patch_snapshot(timeline()), True),
        ]
    if group.startswith(STREAM_PREFIX):
        stream = group.removeprefix(STREAM_PREFIX)
        # And the panes' verdicts (demos/verdicts.py), swapped in by id.
        return _stream_snapshot(stream) + ([(html, False)] if (html := verdicts.fragment(stream)) else [])
    if group.startswith(TIMELINE_PREFIX):
        return [(patch_snapshot(timeline(group.removeprefix(TIMELINE_PREFIX))), True)]
    return []


def _stream_snapshot(stream: str) -> list[tuple[str, bool]]:
    if (region := Region("stream", stream)).patched:
        return [(patch_snapshot(region), True)]
    if region.live:
        return [(live_snapshot(stream), True)]
    return [(html, False)] if (html := stream_update(stream)) else []


def timeline_regions(streams) -> list[Region]:
    """The curtain's timeline (every stream) and each stream's own."""
    return [timeline(), *(timeline(s) for s in sorted(set(streams)))]
