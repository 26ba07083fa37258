"""Timelines of recent writes, the "seen" beacon that ends each lane, and coalesced redraws."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from demos import seen, timeline
from push import regions
from store import data, projector
from store.models import Delivery, Event, Replica
from tests import factories

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def replicas(settings, redis_server):
    settings.REDIS_URL = redis_server
    data.ensure_replicas()


def at(event: Event, **offsets_ms) -> None:
    """Move an event's and its deliveries' timestamps to fixed offsets from its submit."""
    t0 = event.submitted_at
    moments = {k: t0 + timedelta(milliseconds=v) if v is not None else None for k, v in offsets_ms.items()}
    Event.objects.filter(pk=event.pk).update(
        accepted_at=moments["accepted"], **({"seen_at": moments["seen"]} if "seen" in moments else {})
    )
    for name in Replica.objects.values_list("name", flat=True):
        if name in moments:
            Delivery.objects.filter(event=event, replica=name).update(
                applied_at=moments[name], pushed_at=moments.get(f"{name}_pushed")
            )


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output; parsing proves it is well formed


def marks(lane: ET.Element) -> dict[str, int]:
    found = {}
    for g in lane.iter(f"{SVG}g"):
        if "data-mark" in g.attrib:
            found[g.get("data-replica") or g.get("data-mark")] = int(g.get("data-ms"))
    return found


def lane_of(svg: ET.Element, event: Event) -> ET.Element:
    return next(g for g in svg.iter(f"{SVG}g") if g.get("data-lane") == event.key)


def applied(event: Event, *names: str) -> None:
    for name in names:
        projector.apply(name, event.pk)


def test_a_lane_shows_each_step_in_ms_and_shades_accepted_to_last_applied():
    event = factories.write("travelling")
    Delivery.objects.filter(event=event).update(enqueue_count=1)
    others = {r.name: 1500 for r in Replica.serving("curtain") if r.name not in ("fast", "slow")}
    applied(event, "fast", "slow", *others)
    at(event, accepted=5, fast=1010, fast_pushed=1030, slow=3020, seen=1100, **others)
    svg = parse(timeline.timeline_svg())
    lane = lane_of(svg, event)
    expected = {"submitted": 0, "accepted": 5, "fast": 1010, "slow": 3020, "pushed": 1030, "seen": 1100, **others}
    assert marks(lane) == expected
    window = next(lane.iter(f"{SVG}rect"))
    assert window.get("data-window-ms") == str(3020 - 5) and window.get("data-window-open") == "false"
    assert "inconsistent for 3015 ms" in ET.tostring(lane, encoding="unicode")
    # The shading starts at "accepted" and ends at the slow replica's mark.
    circles = {g.get("data-replica") or g.get("data-mark"): g.find(f"{SVG}circle") for g in lane.iter(f"{SVG}g")}
    x0, width = float(window.get("x")), float(window.get("width"))
    assert x0 == pytest.approx(float(circles["accepted"].get("cx")), abs=0.2)
    assert x0 + width == pytest.approx(float(circles["slow"].get("cx")), abs=0.2)


def test_the_window_stays_open_while_a_replica_lags():
    event = factories.write("half way")
    Delivery.objects.filter(event=event).update(enqueue_count=1)
    applied(event, "fast")
    lane = lane_of(parse(timeline.timeline_svg()), event)
    window = next(lane.iter(f"{SVG}rect"))
    assert window.get("data-window-open") == "true"
    assert "slow" not in marks(lane) and "fast" in marks(lane)
    assert "still inconsistent" in ET.tostring(lane, encoding="unicode")


def test_a_rejected_write_is_drawn_as_rejected():
    factories.lag(failure_rate=1.0)
    event = factories.write("refused")
    Delivery.objects.filter(event=event).update(enqueue_count=1)
    applied(event, "fast", "slow")
    lane = lane_of(parse(timeline.timeline_svg()), event)
    kinds = {g.get("data-mark") for g in lane.iter(f"{SVG}g") if g.get("data-mark")}
    assert "rejected" in kinds and "applied" not in kinds


def test_users_text_in_the_svg_is_escaped():
    nasty = '</text><script>alert(1)</script><text> & "quotes"'
    event = factories.write(nasty)
    Delivery.objects.filter(event=event).update(enqueue_count=1)
    svg = timeline.timeline_svg()
    assert "<script>" not in svg
    assert nasty in ET.tostring(lane_of(parse(svg), event), encoding="unicode", method="text")


def test_seeded_examples_have_no_lane_and_streams_filter():
    data.seed({"curtain": ["example"]})
    mine = factories.write("mine", stream="optimistic")
    theirs = factories.write("theirs", stream="push")
    Delivery.objects.filter(event__in=[mine, theirs]).update(enqueue_count=1)
    all_lanes = [g.get("data-lane") for g in parse(timeline.timeline_svg()).iter(f"{SVG}g") if g.get("data-lane")]
    assert all_lanes == [theirs.key, mine.key]
    only = [g.get("data-lane") for g in parse(timeline.timeline_svg("optimistic")).iter() if g.get("data-lane")]
    assert only == [mine.key]
    assert [lane.key for lane in timeline.lanes(limit=1)] == [theirs.key]


def test_labels_that_bunch_up_go_to_separate_rows_without_overlapping():
    event = factories.write("instant")
    Delivery.objects.filter(event=event).update(enqueue_count=1)
    applied(event, "fast", "slow")
    at(event, accepted=1, fast=2, fast_pushed=3, slow=4, seen=5)
    built = timeline.build()
    lane = built.lanes[0]
    boxes = [
        (m.row, m.x - 3 if m.anchor == "start" else m.x + 3 - len(m.label) * timeline.CHAR_W, len(m.label))
        for m in lane.marks
    ]
    for i, (row, left, chars) in enumerate(boxes):
        for other_row, other_left, other_chars in boxes[i + 1 :]:
            if row == other_row:
                right, other_right = left + chars * timeline.CHAR_W, other_left + other_chars * timeline.CHAR_W
                assert right <= other_left or other_right <= left
    assert lane.rows == len(lane.marks)


def test_the_curtain_shows_the_timeline_and_its_snapshot_carries_it():
    body = Client().get("/curtain/").content.decode()
    assert 'id="timeline"' in body and "<svg" in body
    log, timeline_frame = regions.snapshot("curtain")
    assert 'id="event-log"' in log
    assert timeline_frame.startswith('<template data-patch="timeline:" data-seq=')
    assert 'id="timeline" class="pane timeline" hx-swap-oob="true"' in timeline_frame


# ---- The seen beacon


def settled(text: str = "seen me") -> Event:
    event = factories.write(text)
    applied(event, "fast")
    return event


def test_seen_keeps_the_first_time_a_browser_rendered_the_item(client):
    event = settled()
    assert client.post("/seen/", {"seen": [seen.token(event.key)]}).status_code == 204
    event.refresh_from_db()
    first = event.seen_at
    assert first is not None
    client.post("/seen/", {"seen": [seen.token(event.key)]})
    event.refresh_from_db()
    assert event.seen_at == first


def test_seen_ignores_items_still_pending(client):
    event = factories.write("not yet")
    assert client.post("/seen/", {"seen": [seen.token(event.key)]}).status_code == 204
    event.refresh_from_db()
    assert event.seen_at is None


@pytest.mark.parametrize(
    "tokens",
    [[], ["bad key!"], ["<script>"], [seen.token("bad key!")], [seen.token("k")] * 101],
    ids=["none", "malformed", "markup", "signed-malformed", "too-many"],
)
def test_seen_refuses_malformed_requests_whole(client, tokens):
    event = settled()
    response = client.post("/seen/", {"seen": [seen.token(event.key), *tokens]} if tokens else {})
    assert response.status_code == 400
    event.refresh_from_db()
    assert event.seen_at is None


def test_seen_refuses_a_key_the_server_never_rendered_to_anyone(client):
    """Forged: the bare key, or a token for another key, is not proof of having seen it."""
    event, other = settled(), settled("another")
    assert client.post("/seen/", {"seen": [event.key]}).status_code == 400
    forged = seen.token(other.key).replace(other.key, event.key)
    assert client.post("/seen/", {"seen": [forged]}).status_code == 400
    event.refresh_from_db()
    assert event.seen_at is None


def test_only_settled_items_the_server_renders_carry_a_seen_token():
    settled_event, pending_event = settled("shown settled"), factories.write("still pending")
    body = Client().get("/curtain/").content.decode()
    assert f'data-seen="{seen.token(settled_event.key)}"' in body
    assert seen.token(pending_event.key) not in body


def test_seen_needs_a_csrf_token():
    event = settled()
    assert Client(enforce_csrf_checks=True).post("/seen/", {"seen": [seen.token(event.key)]}).status_code == 403
    event.refresh_from_db()
    assert event.seen_at is None


def test_redraws_are_coalesced_across_a_burst_of_changes(monkeypatch):
    from push import coalesce, watchers
    from push.regions import Region
    from showcase.redis_client import redis_client

    regions = ["timeline:", "timeline:optimistic", "timeline:push"]
    redis_client().delete(*(f"push:{f}:{r}" for r in regions for f in ("quiet", "dirty", "patch")))
    async_to_sync(watchers.beat)(["curtain", "timeline.optimistic", "timeline.push"], "a-page")
    leading, trailing = [], []
    monkeypatch.setattr(coalesce, "TIMELINE_WINDOW_S", 10)  # one window for the whole burst, however slow the machine
    monkeypatch.setattr(coalesce.redraw, "delay", lambda region: leading.append(region))
    monkeypatch.setattr(coalesce.redraw, "apply_async", lambda args, countdown: trailing.append(args[0]))
    for _ in range(50):
        coalesce.changed(Region.parse("timeline:"), Region.parse("timeline:optimistic"))
    coalesce.changed(Region.parse("timeline:push"), Region.parse("timeline:optimistic"))
    # The first change of each region redraws at once; the burst behind it, once more at the end.
    assert sorted(leading) == regions
    assert sorted(trailing) == ["timeline:", "timeline:optimistic"]
    sent = []
    monkeypatch.setattr("push.patch.send", lambda group, html, **_: sent.append((group, html)))
    coalesce.redraw("timeline:optimistic")  # clears its flag first: the next burst schedules again
    assert sent[0][0] == "timeline.optimistic" and 'id="timeline-optimistic"' in sent[0][1]
    coalesce.changed(Region.parse("timeline:optimistic"))
    assert sorted(trailing) == ["timeline:", "timeline:optimistic", "timeline:optimistic"]


def test_a_region_nobody_has_open_is_not_drawn_until_someone_opens_it(monkeypatch):
    from push import coalesce, watchers
    from push.regions import Region
    from showcase.redis_client import redis_client

    redis_client().delete(
        "push:quiet:timeline:pending",
        "push:dirty:timeline:pending",
        "watch:timeline.pending",
        "push:patch:timeline:pending",
    )
    drawn, sent = [], []
    monkeypatch.setattr(coalesce.redraw, "delay", lambda region: drawn.append(region))
    monkeypatch.setattr(coalesce.redraw, "apply_async", lambda args, countdown: drawn.append(args[0]))
    monkeypatch.setattr("push.patch.send", lambda group, html, **_: sent.append(group))
    coalesce.changed(Region.parse("timeline:pending"))
    coalesce.redraw("timeline:pending")  # one already queued when the last page closed
    assert drawn == [] and sent == []
    async_to_sync(watchers.beat)(["timeline.pending"], "a-page")
    coalesce.changed(Region.parse("timeline:pending"))
    coalesce.redraw("timeline:pending")
    assert drawn == ["timeline:pending"] and sent == ["timeline.pending"]
    async_to_sync(watchers.leave)(["timeline.pending"], "a-page")
    assert watchers.watched(["timeline.pending"]) == set()


# ---- Lanes pushed one by one


def test_the_scale_is_a_round_value_at_least_what_the_lag_makes_a_write_take():
    assert [timeline.ladder(ms) for ms in (1, 100, 101, 230, 999, 3100, 12_000)] == [
        100,
        100,
        150,
        300,
        1000,
        4000,
        15000,
    ]
    factories.lag(delay_ms=3000, jitter_ms=500, reorder=False)
    event = factories.write("quick so far")
    Delivery.objects.filter(event=event).update(enqueue_count=1)
    applied(event, "fast")
    at(event, accepted=5, fast=40)
    built = timeline.build()
    assert built.scale_ms >= 3000 + 500 + max(Replica.objects.values_list("extra_lag_ms", flat=True))
    assert built.ticks[-1]["label"] == f"{built.scale_ms} ms"  # a whole number of ticks


def test_a_new_mark_is_pushed_as_that_mark_alone():
    from push import patch

    factories.lag(delay_ms=0, jitter_ms=0)
    events = [factories.write(f"lane {i} " * 6) for i in range(8)]
    Delivery.objects.filter(event__in=events).update(enqueue_count=1)
    for event in events:
        applied(event, *Replica.objects.values_list("name", flat=True))
        at(event, accepted=2, **{name: 30 for name in Replica.objects.values_list("name", flat=True)})
    before = regions.timeline().render()
    Event.objects.filter(pk=events[3].pk).update(seen_at=events[3].submitted_at + timedelta(milliseconds=60))
    after = regions.timeline().render()
    sent = patch.diff(patch.describe(before), after)
    lane = f"tl-all-{events[3].pk}"
    assert 'data-mark="seen"' in sent and f'data-list="{lane}-m"' in sent
    assert all(f"tl-all-{e.pk}" not in sent for e in events if e != events[3]), "the other lanes stay as they are"
    assert "<li " not in sent, "the lane stays; its new mark goes in"
    assert sent.count('data-mark="') == 1, "the marks it had stay as they are"
    assert len(sent) < 700, sent  # its height, its bar, the mark
