"""Timelines: one lane per recent write, drawn as SVG on the server from the lifecycle trace.

A lane runs from submitted (0 ms) through accepted, applied (or rejected) by each replica,
first pushed, to first seen in a browser. The inconsistency window, from accepted until the
last replica applied, is shaded; while a replica still lags it stays open up to "now".

Each lane is a picture of its own, in its own coordinates, an item of a list under one shared
time axis: a redraw that changes one lane changes only that item, so the push layer sends that
lane alone (push/patch.py). The axis's scale is chosen from a short ladder of round values and
is at least what the current lag settings make a write take, so it rarely moves (when it does,
every lane moves with it and the timeline is sent whole).

This module only does the geometry; the template `demos/timeline.html#svg` draws it, so
every piece of text in the picture goes through autoescaping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from store.models import Delivery, Event, LagSettings, Replica

WIDTH = 960
PAD = 16
FONT = 17  # a label's size in the picture's units (conference.css), 21 px on a 1280 px projector
CHAR_W = FONT * 0.64  # a generous average advance (bold on the projector), so labels never collide
AXIS_H = 34
TITLE_H = 26
BAR_H = 14
ROW_H = 21
LANE_GAP = 16
LABEL_GAP = 10
TITLE_CHARS = 64
LADDER = (1, 1.5, 2, 3, 4, 5, 6, 8)  # the axis's scale is one of these times a power of ten
MARGIN_MS = 200  # accept, push and first render on top of the lag itself
# Each kind of mark says itself with a symbol as well as its colour (and the label's word).
SYMBOLS = {"submitted": "○", "accepted": "◐", "applied": "✓", "rejected": "✗", "pushed": "➜", "seen": "◉"}


@dataclass
class Mark:
    kind: str  # submitted, accepted, applied, rejected, pushed, seen
    name: str
    ms: int
    replica: str = ""
    x: float = 0.0
    row: int = 0
    anchor: str = "start"
    label_dy: float = 0.0  # the label's baseline below the lane's bar

    @property
    def label(self) -> str:
        return f"{SYMBOLS[self.kind]} {self.name} {self.ms} ms"

    @property
    def key(self) -> str:
        """Unique in its lane: a mark is patched in and out by it (push/patch.py)."""
        return f"{self.kind}:{self.replica}" if self.replica else self.kind


@dataclass
class Window:
    start_ms: int
    end_ms: int
    open: bool
    x: float = 0.0
    width: float = 0.0

    @property
    def ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass
class Lane:
    key: str
    position: int
    stream: str
    text: str
    state: str
    marks: list[Mark]
    window: Window | None
    rows: int = 1
    span_ms: int = 0

    # Vertical positions, filled by `layout`: the template only reads numbers.
    title_y: float = 0.0
    bar_y: float = 0.0
    bar_mid: float = 0.0
    bar_x2: float = 0.0
    dom_id: str = ""  # the lane's picture's id, and its parts' prefix

    @property
    def height(self) -> float:
        return TITLE_H + BAR_H + self.rows * ROW_H + LANE_GAP


@dataclass
class Timeline:
    id: str
    stream: str | None
    lanes: list[Lane]
    scale_ms: int
    ticks: list[dict]
    width: int = WIDTH
    axis_h: int = AXIS_H
    left: int = PAD
    right: int = WIDTH - PAD
    bar_h: int = BAR_H

    @property
    def summary(self) -> str:
        where = f"stream {self.stream}" if self.stream else "all streams"
        if not self.lanes:
            return f"Timeline of recent writes ({where}): none yet."
        windows = [lane.window.ms for lane in self.lanes if lane.window]
        longest = f"; longest inconsistency window {max(windows)} ms" if windows else ""
        return f"Timeline of the {len(self.lanes)} most recent writes ({where}){longest}."


def _ms(start: datetime, moment: datetime) -> int:
    return max(0, round((moment - start).total_seconds() * 1000))


def lane_for(event: Event, deliveries: list[Delivery], now: datetime) -> Lane:
    t0 = event.submitted_at
    marks = [Mark("submitted", "submitted", 0), Mark("accepted", "accepted", _ms(t0, event.accepted_at))]
    settled = [d for d in deliveries if d.applied_at]
    for d in settled:
        if d.state == Delivery.REJECTED:
            marks.append(Mark("rejected", f"{d.replica_id} rejected", _ms(t0, d.applied_at), d.replica_id))
        else:
            marks.append(Mark("applied", f"{d.replica_id} applied", _ms(t0, d.applied_at), d.replica_id))
    pushed = [d.pushed_at for d in deliveries if d.pushed_at]
    if pushed:
        marks.append(Mark("pushed", "pushed", _ms(t0, min(pushed))))
    if event.seen_at:
        marks.append(Mark("seen", "seen", _ms(t0, event.seen_at)))
    window = None
    if deliveries:
        accepted_ms = marks[1].ms
        if len(settled) == len(deliveries):
            last_ms = max(_ms(t0, d.applied_at) for d in settled)
            window = Window(accepted_ms, max(last_ms, accepted_ms), open=False)
        else:
            window = Window(accepted_ms, max(_ms(t0, now), accepted_ms), open=True)
    state = {"ok": "confirmed", "rejected": "rejected"}.get(event.verdict, "pending")
    lane = Lane(event.key, event.pk, event.stream, event.text, state, marks, window)
    lane.span_ms = max([m.ms for m in marks] + [window.end_ms if window else 0])
    return lane


def lanes(stream: str | None = None, limit: int = 8) -> list[Lane]:
    """The newest `limit` writes (of `stream`, or of every stream), newest first.

    Only writes that travelled (or are travelling) to a replica: seeded examples were put in
    place already applied and have no lifecycle to draw.
    """
    travelled = Delivery.objects.filter(event=OuterRef("pk")).filter(Q(enqueue_count__gt=0) | Q(state=Delivery.QUEUED))
    events = Event.objects.filter(Exists(travelled)).order_by("-id")
    if stream:
        events = events.filter(stream=stream)
    events = list(events[:limit])
    order = {name: i for i, name in enumerate(Replica.objects.values_list("name", flat=True))}
    by_event: dict[int, list[Delivery]] = {}
    for delivery in Delivery.objects.filter(event__in=events):
        by_event.setdefault(delivery.event_id, []).append(delivery)
    now = timezone.now()
    return [lane_for(e, sorted(by_event.get(e.pk, []), key=lambda d: order.get(d.replica_id, 99)), now) for e in events]


def nice_step(span_ms: float, ticks: int = 5) -> int:
    """A round tick step (1, 2 or 5 times a power of ten) giving about `ticks` ticks."""
    raw = max(span_ms / ticks, 1)
    power = 1
    while power * 10 <= raw:
        power *= 10
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power


def _place_labels(marks: list[Mark], x_max: float) -> int:
    """Put each label, in lifecycle order, in the first row where it overlaps nothing; return
    the rows used. Lifecycle order keeps labels readable top-down when marks bunch up."""
    rows: list[list[tuple[float, float]]] = []
    for mark in marks:
        width = len(mark.label) * CHAR_W
        left, right = mark.x - 3, mark.x - 3 + width
        mark.anchor = "start"
        if right > x_max:
            left, right = mark.x + 3 - width, mark.x + 3
            mark.anchor = "end"
        for i, taken in enumerate(rows):
            if all(right + LABEL_GAP <= a or left >= b + LABEL_GAP for a, b in taken):
                taken.append((left, right))
                mark.row = i
                break
        else:
            rows.append([(left, right)])
            mark.row = len(rows) - 1
    return max(len(rows), 1)


def ladder(ms: float) -> int:
    """The smallest value of LADDER times a power of ten that is at least `ms`."""
    power = 100
    while True:
        for factor in LADDER:
            if factor * power >= ms:
                return int(factor * power)
        power *= 10


def expected_ms() -> int:
    """About the longest a write takes to reach every replica at the current lag settings."""
    lag = LagSettings.load()
    extra = max(Replica.objects.values_list("extra_lag_ms", flat=True), default=0)
    return lag.delay_ms * (2 if lag.reorder else 1) + lag.jitter_ms + extra + MARGIN_MS


def layout(lane_list: list[Lane], stream: str | None = None, floor_ms: int = 0) -> Timeline:
    span = max([lane.span_ms for lane in lane_list] + [floor_ms, 100])
    scale = ladder(span)
    step = nice_step(scale)
    scale = -(-scale // step) * step  # a whole number of ticks (every value of the ladder is)
    x_min, x_max = PAD, WIDTH - PAD

    def x(ms: float) -> float:
        return round(x_min + ms / scale * (x_max - x_min), 1)

    ticks = []
    for ms in range(0, scale + 1, step):
        anchor = "start" if ms == 0 else "end" if ms == scale else "middle"
        ticks.append({"x": x(ms), "label": f"{ms} ms", "anchor": anchor})
    timeline_id = f"tl-{stream or 'all'}"
    for lane in lane_list:  # each lane in its own coordinates: its picture starts at y = 0
        lane.dom_id = f"{timeline_id}-{lane.position}"
        for mark in lane.marks:
            mark.x = x(mark.ms)
        if lane.window:
            lane.window.x = x(lane.window.start_ms)
            lane.window.width = max(round(x(lane.window.end_ms) - lane.window.x, 1), 2)
        lane.rows = _place_labels(lane.marks, x_max)
        lane.text = Truncator(lane.text).chars(TITLE_CHARS)
        lane.title_y = TITLE_H - 8
        lane.bar_y = TITLE_H
        lane.bar_mid = lane.bar_y + BAR_H / 2
        lane.bar_x2 = x(lane.span_ms)
        for mark in lane.marks:
            mark.label_dy = round(BAR_H / 2 + (mark.row + 1) * ROW_H - 5, 1)
    return Timeline(timeline_id, stream, lane_list, scale, ticks)


def build(stream: str | None = None, limit: int = 8) -> Timeline:
    return layout(lanes(stream, limit), stream, floor_ms=expected_ms())


def section_id(stream: str | None = None) -> str:
    """The id of the swappable section around a timeline, one per stream and one for all."""
    return f"timeline-{stream}" if stream else "timeline"


def timeline_svg(stream: str | None = None, limit: int = 8) -> SafeString:
    """The timeline of the newest `limit` writes of `stream` (all streams if None) as inline SVG."""
    return render_to_string("demos/timeline.html#svg", {"tl": build(stream, limit)})
