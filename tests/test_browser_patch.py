"""Patched regions in real Chromium (push/patch.py, static/showcase/patch.js): after the whole
region on connect, a page gets only patches, each a fraction of the region, and ends up with
exactly what the server draws; a patch it missed, or a list changed under it, sends it back to
the whole region instead of a wrong picture."""

import re
import uuid

import pytest
import redis
from playwright.sync_api import expect

from tests.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
STREAM = "consistent-prefix"
REGION = f"stream:{STREAM}"
LISTS = ("cp-naive", "cp-trick-list")


def keys_on_page(page, list_id: str) -> list[str]:
    return page.eval_on_selector_all(f"#{list_id} > li", "items => items.map(li => li.dataset.itemId || '')")


def keys_drawn(live, list_id: str) -> list[str]:
    status, html = live.client().get(f"/live/region/{REGION}/")
    assert status == 200
    body = re.search(rf'<ol [^>]*id="{list_id}"[^>]*>(.*?)</ol>', html, re.S).group(1)
    return [key or "" for key in re.findall(r'<li(?: data-item-id="([^"]*)")?', body)]


def test_a_live_list_that_misses_a_frame_fetches_its_region_and_merges_the_missed_item(fresh, live, new_page):
    """One settled write's frame is lost on the way: the next frame's number skips, the page
    fetches the list's region (/live/region/stream:push/) and merges it, the lost item with it."""
    frames, refetches, drop = [], [], {"next": False, "dropped": 0}
    setup = lossy(
        frames, drop, lambda message: 'data-insert data-list="push-live"' in message, refetches, "/live/region/"
    )

    live.lag(delay_ms=0, jitter_ms=0, failure_rate=0, reorder=False)
    page = new_page("/demos/push/", width=375, setup=setup)
    writer = live.client()
    first = f"first {uuid.uuid4().hex[:6]}"
    writer.write(first, "push")
    expect(page.locator("#push-live")).to_contain_text(first, timeout=20_000)
    assert not refetches, "nothing missed yet"
    drop["next"] = True
    lost = f"lost on the way {uuid.uuid4().hex[:6]}"
    writer.write(lost, "push")
    wait_until(lambda: page.wait_for_timeout(50) or drop["dropped"] == 1, timeout=20, what="a frame to drop")
    expect(page.locator("#push-live")).not_to_contain_text(lost)
    after = f"the next one {uuid.uuid4().hex[:6]}"
    writer.write(after, "push")
    expect(page.locator("#push-live")).to_contain_text(lost, timeout=20_000)
    assert any(url.endswith("/live/region/stream%3Apush/") or "stream:push" in url for url in refetches), refetches
    items = page.locator("#push-live [data-item-id]")
    texts = items.all_inner_texts()
    assert [t for t in texts if after in t] and len({i.get_attribute("data-item-id") for i in items.all()}) == len(
        texts
    )
    positions = [int(i.get_attribute("data-position")) for i in items.all()]
    assert positions == sorted(positions, reverse=True), "newest first, one copy each"


def lossy(frames: list, drop: dict, droppable, fetches: list, fetched: str):
    """A page's setup: the socket's frames go through Playwright's route, which keeps them in
    `frames` and loses the next `droppable` one whenever drop["next"] is set; requests whose URL
    has `fetched` in it are kept in `fetches`."""

    def setup(page):
        def route(ws):
            server = ws.connect_to_server()

            def from_server(message):
                if isinstance(message, str) and droppable(message) and drop["next"]:
                    drop.update(next=False, dropped=drop["dropped"] + 1)
                    return  # lost on the way
                frames.append(message)
                ws.send(message)

            server.on_message(from_server)

        page.route_web_socket(re.compile(r"/ws/live/"), route)
        page.on("request", lambda request: fetches.append(request.url) if fetched in request.url else None)

    return setup


def test_a_page_follows_a_region_by_patches_and_heals_when_one_is_lost(fresh, live, new_page):
    frames, refetches, drop = [], [], {"next": False, "dropped": 0}

    patch = f'<template data-patch="{REGION}" data-base='
    setup = lossy(frames, drop, lambda message: message.startswith(patch), refetches, "/live/region/")

    page = new_page(f"/demos/{STREAM}/", setup=setup)
    whole = f'<template data-patch="{REGION}" data-seq='
    wait_until(lambda: page.wait_for_timeout(50) or any(f.startswith(whole) for f in frames), what="the whole region")
    writer = live.client()

    def post(text: str) -> None:
        writer.write(text, STREAM)
        expect(page.locator("#cp-naive")).to_contain_text(text, timeout=20_000)
        expect(page.locator("#cp-trick-list")).to_contain_text(text, timeout=20_000)

    for i in range(6):
        post(f"Q: question number {i} {uuid.uuid4().hex[:6]} " * 3)
    patches = [f for f in frames if f.startswith(f'<template data-patch="{REGION}" data-base=')]
    assert len(patches) >= 6
    assert max(len(f.encode()) for f in patches) < 2048, "a patch carries what changed, not the region"
    assert refetches == [], "every patch applied to what the page showed (the checksums agree)"
    for list_id in LISTS:
        assert keys_on_page(page, list_id) == keys_drawn(live, list_id)

    # One patch lost: the next one does not start from what the page shows; the page fetches
    # the region whole rather than apply it to the wrong drawing.
    drop["next"] = True
    lost = f"Q: lost on the way {uuid.uuid4().hex[:6]}"
    writer.write(lost, STREAM)
    # Playwright's sync API runs the route's callbacks only while the test calls into it.
    wait_until(lambda: page.wait_for_timeout(50) or drop["dropped"] == 1, timeout=20, what="a patch to drop")
    assert lost not in page.locator("#cp-naive").inner_text()
    post(f"Q: the next one {uuid.uuid4().hex[:6]}")
    expect(page.locator("#cp-naive")).to_contain_text(lost, timeout=20_000)
    assert len(refetches) >= 1
    # A list changed under the page (as an answer redrawing it would): its checksum no longer
    # matches, and the next patch brings the whole region back.
    page.evaluate("document.querySelector('#cp-naive > li:last-child').remove()")
    fetched = len(refetches)
    post(f"Q: after the change {uuid.uuid4().hex[:6]}")
    wait_until(lambda: page.wait_for_timeout(50) or len(refetches) > fetched, timeout=20, what="the region again")
    for list_id in LISTS:
        wait_until(lambda id=list_id: keys_on_page(page, id) == keys_drawn(live, id), timeout=20, what=f"{list_id}")


SAME_AS_SERVER = """([id, html]) => {
  const flat = (el) => el ? el.outerHTML.replace(/>\\s+</g, "><") : "";
  const frame = document.createElement("template");
  frame.innerHTML = html;  // the region whole: a <template data-patch> around the drawing
  const drawn = frame.content.firstElementChild.content.getElementById(id);
  return drawn !== null && flat(document.getElementById(id)) === flat(drawn);
}"""


def test_a_timeline_follows_mark_by_mark_and_ends_as_the_server_draws_it(fresh, live, new_page):
    """The lanes stay; inside them, marks go in one by one, and the window, the bar and the
    lane's height change on their own. The page ends with exactly the server's drawing."""
    region, tl = f"timeline:{STREAM}", f"tl-{STREAM}"
    frames, refetches = [], []

    def setup(page):
        page.on("websocket", lambda ws: ws.on("framereceived", lambda message: frames.append(message)))
        page.on("request", lambda request: refetches.append(request.url) if "/live/region/" in request.url else None)

    live.lag(delay_ms=300, jitter_ms=0, failure_rate=0, reorder=False)
    page = new_page(f"/demos/{STREAM}/", width=1280, setup=setup)
    writer = live.client()
    for i in range(4):
        writer.write(f"Q: timeline {i} {uuid.uuid4().hex[:6]}", STREAM)
        page.wait_for_timeout(150)

    def same() -> bool:
        status, html = live.client().get(f"/live/region/{region}/")
        return status == 200 and "still inconsistent" not in html and page.evaluate(SAME_AS_SERVER, [tl, html])

    wait_until(same, timeout=30, what="the page's timeline as the server draws it")
    patches = [f for f in frames if isinstance(f, str) and f.startswith(f'<template data-patch="{region}" data-base=')]
    marks = [f for f in patches if re.search(rf'data-list="{tl}-\d+-m"', f)]
    assert marks, "marks went into lanes that stayed"
    assert any("data-attrs" in f for f in patches), "a lane's height or state changed alone"
    # Unless a lane comes in (it is drawn whole once) or the axis's scale moved (every lane
    # moves with it: the timeline goes whole), a patch is, for each lane it touches, the marks
    # that came in, its window, bar and height: under 1.5 KB (a lane whole is about 2 KB).
    rescaled = f'<template data-replace><div class="tl" id="{tl}"'
    per_lane = [
        len(f.encode()) / len(set(re.findall(rf'id="{tl}-(\d+)', f)))
        for f in patches
        if rescaled not in f and "<li " not in f and re.search(rf'id="{tl}-\d+', f)
    ]
    assert per_lane and max(per_lane) < 1536, per_lane
    assert not [url for url in refetches if "timeline" in url], "every patch applied to the drawing on the page"
    assert page.locator(f"#{tl} [data-mark='applied']").count() >= 4


def test_a_live_list_that_misses_a_frame_after_redis_lost_its_data_fetches_again(fresh, live, new_page):
    """Redis restarted without its data: the frames' numbers start again from 1, below what the
    page saw. A frame lost then is found out all the same: the next one comes in a new epoch."""
    frames, refetches, drop = [], [], {"next": False, "dropped": 0}

    item = 'data-insert data-list="push-live"'
    setup = lossy(frames, drop, lambda message: item in message, refetches, "/live/region/")

    live.lag(delay_ms=0, jitter_ms=0, failure_rate=0, reorder=False)
    page = new_page("/demos/push/", width=375, setup=setup)
    writer = live.client()
    for i in range(3):  # the page's numbers climb past what a fresh Redis starts from
        text = f"before {i} {uuid.uuid4().hex[:6]}"
        writer.write(text, "push")
        expect(page.locator("#push-live")).to_contain_text(text, timeout=20_000)
    fetched = len(refetches)
    redis.Redis.from_url(live.stack.redis_url).flushall()  # what a restart without persistence leaves
    drop["next"] = True
    lost = f"lost after the restart {uuid.uuid4().hex[:6]}"
    writer.write(lost, "push")
    wait_until(lambda: page.wait_for_timeout(50) or drop["dropped"] == 1, timeout=20, what="a frame to drop")
    after = f"the next one {uuid.uuid4().hex[:6]}"
    writer.write(after, "push")
    expect(page.locator("#push-live")).to_contain_text(after, timeout=20_000)
    expect(page.locator("#push-live")).to_contain_text(lost, timeout=20_000)
    assert len(refetches) > fetched, "the list was fetched again"
