"""The stage in real Chromium against the real app: presenter mode fits a projector, clickers
walk the demos, the room is counted, everything on screen stays live, and the rehearsal."""

import re
import time
import uuid
from contextlib import nullcontext

import pytest
from playwright.sync_api import expect

from demos import registry, rehearsal
from tests.a11y import MINIMUM_PX, POINT_PX, point_sizes, text_sizes
from tests.conftest import staff_login

pytestmark = pytest.mark.browser

STAFF_USER = "stage-presenter"
PROJECTORS = [(1280, 720), (1920, 1080)]
LIVE_DEMOS = [d.slug for d in registry.live()]


def projector_cases():
    for slug in LIVE_DEMOS:
        for width, height in PROJECTORS:
            yield pytest.param(slug, width, height, id=f"{slug}-{width}x{height}")


@pytest.fixture(scope="module")
def staff_password(live) -> str:
    return staff_login(live, STAFF_USER)


@pytest.fixture
def presenter(live, new_page, staff_password):
    """A staff session in presenter mode, at a projector's size."""

    def open_page(path: str, width: int = 1280, height: int = 720):
        page = new_page("/", width=width, height=height)
        page.goto(f"{live.url}/admin/login/?next=/")
        page.fill("#id_username", STAFF_USER)
        page.fill("#id_password", staff_password)
        page.click("input[type=submit]")
        page.wait_for_url(live.url + "/")
        token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
        page.request.post(live.url + "/presenter/", form={"on": "1"}, headers={"X-CSRFToken": token})
        page.goto(live.url + path)
        page.wait_for_selector("body.presenter.is-live")
        return page

    return open_page


def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:6]}"


def on_screen(page, selector: str, nth: int = 0) -> bool:
    """The selector's nth element is inside the viewport without scrolling: top at or below 0,
    bottom above the fold."""
    return page.evaluate(
        """([selector, nth]) => {
          if (window.scrollY !== 0) return false;
          const el = document.querySelectorAll(selector)[nth];
          if (!el) return false;
          const box = el.getBoundingClientRect();
          return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;
        }""",
        [selector, nth],
    )


def wait_on_screen(page, selector: str, ms: int = 5000) -> bool:
    """`on_screen` within `ms`: True as soon as it holds."""
    deadline = time.monotonic() + ms / 1000
    while not on_screen(page, selector):
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(100)
    return True


def write_parts(page, markup: registry.Markup) -> list[str]:
    """What a visitor writes with, as the demo declares it: a form's text field and its button, or one button."""
    if page.locator(markup.write).evaluate("el => el.tagName") == "FORM":
        return [f"{markup.write} input[type=text]", f"{markup.write} button"]
    return [markup.write]


def write_once(page, markup: registry.Markup, text: str) -> None:
    """Write the way the page takes it: type into its form and send it, or press its one button."""
    *field, button = write_parts(page, markup)
    if field:
        page.fill(field[0], text)
    page.click(button)


def event_count(live) -> int:
    return live.query("SELECT count(*) FROM store_event")[0][0]


# presenter mode fits one screen -------------------------------------------------------------


@pytest.mark.parametrize(("slug", "width", "height"), list(projector_cases()))
def test_presenter_mode_shows_form_panes_and_badge_without_scrolling(fresh, presenter, slug, width, height):
    demo = registry.get(slug)
    markup = demo.markup
    page = presenter(f"/demos/{slug}/", width, height)
    # One write of this session, so panes that list only a session's own (pending) have an item.
    with page.expect_navigation() if slug == "read-your-writes" else nullcontext():
        write_once(page, markup, unique("on the projector"))
    # The write's answer is on screen: a form's puts the cursor back into it (Escape below); a
    # button that plays a game is pressable again once the game is written.
    page.wait_for_function(
        """(selector) => {
          const control = document.querySelector(selector);
          if (!control) return false;
          if (control.tagName !== "FORM") return !control.disabled;
          return !control.classList.contains("htmx-request") && !control.querySelector("input[type=text]").value;
        }""",
        arg=markup.write,
    )
    page.wait_for_selector("body.is-live")
    for pane in demo.panes:
        expect(page.locator(f'[{markup.pane}="{pane}"] {markup.item}').first).to_be_visible(timeout=15_000)
    page.evaluate("window.scrollTo(0, 0)")
    # Readable from the back row (issue 25): the type scales with the screen, so 1920 px wide
    # holds 1.5x what 1280 does.
    scale = width / 1280
    small = [s for s in text_sizes(page) if s["size"] < MINIMUM_PX * scale - 0.5]
    assert not small, f"text under {MINIMUM_PX * scale:.0f} px at {width}x{height}: {small[:5]}"
    weak = [p for p in point_sizes(page) if p["size"] < POINT_PX * scale - 0.5]
    assert not weak, f"what carries the point under {POINT_PX * scale:.0f} px at {width}x{height}: {weak[:5]}"
    for selector in [*write_parts(page, markup), "[data-lag-badge]", "#room"]:
        assert on_screen(page, selector), f"{selector} is below the fold at {width}x{height}"
    for pane in demo.panes:
        for part in ["h2", "[data-counter=anomalies]", markup.item]:
            selector = f'[{markup.pane}="{pane}"] {part}'
            assert on_screen(page, selector), f"{selector} is below the fold at {width}x{height}"
        # The pane's third item, wherever it is listed (CAP's AP lists this session's pending writes apart).
        items = f'[{markup.pane}="{pane}"] {markup.item}'
        if page.locator(items).count() >= 3:
            assert on_screen(page, items, nth=2), f"{pane}'s third item"
    # The explanation is one line until E opens it.
    explain = page.locator(".explain")
    one_line = explain.bounding_box()["height"]
    assert one_line < 2.2 * explain.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    page.keyboard.press("Escape")  # out of the form, where the write left the cursor
    page.keyboard.press("E")
    expect(page.locator("[data-explain]")).to_have_class("intro explain--open")
    assert explain.bounding_box()["height"] > one_line


@pytest.mark.parametrize("slug", LIVE_DEMOS)
def test_a_phone_shows_the_form_and_the_trick_first_and_opens_the_explanation(fresh, new_page, slug):
    markup = registry.get(slug).markup
    page = new_page(f"/demos/{slug}/", width=375, height=740)
    lead = f'[{markup.pane}="{markup.lead}"] {markup.item}'  # the trick's, or the pane the demo leads with
    if not page.locator(lead).count():
        write_once(page, markup, unique("from a phone"))
        expect(page.locator(lead).first).to_be_visible(timeout=15_000)
    for selector in write_parts(page, markup):
        assert on_screen(page, selector), (slug, selector)
    # A page still settling (a first read landing above, a status line growing) gets a moment.
    if not wait_on_screen(page, lead):
        box = page.evaluate("(s) => [window.scrollY, document.querySelector(s).getBoundingClientRect().toJSON()]", lead)
        pytest.fail(f"{slug}: {lead} is not on the first screen (scrollY, box): {box}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), slug
    toggle = page.locator("[data-explain-toggle]")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".explain > p").nth(0)).to_have_css("white-space", "normal")


# clickers -----------------------------------------------------------------------------------


def test_page_down_walks_to_the_next_demo_and_writes_nothing(fresh, presenter):
    first, second = LIVE_DEMOS[0], LIVE_DEMOS[1]
    page = presenter(f"/demos/{first}/")
    before = event_count(fresh)
    next_url = page.locator('link[rel="next"]').get_attribute("href")
    # The worst place for a clicker's key: the cursor in the form, text typed, the button focused.
    page.fill("[data-write-form] input[type=text]", unique("never sent"))
    page.focus("[data-write-form] button")
    page.keyboard.press("PageDown")
    page.wait_for_url(fresh.url + next_url)
    page.wait_for_selector("body.is-live")
    page.focus("[data-write-form] input[type=text]")
    page.keyboard.press("PageUp")
    page.wait_for_url(f"{fresh.url}/demos/{first}/")
    page.wait_for_selector("body.is-live")
    assert event_count(fresh) == before
    assert next_url == f"/demos/{second}/"  # the walk follows the registry's order


def test_b_blacks_the_screen_and_b_or_dot_brings_it_back(fresh, presenter):
    page = presenter(f"/demos/{LIVE_DEMOS[0]}/")
    page.keyboard.press("b")
    blackout = page.locator("[data-blackout]")
    expect(blackout).to_be_visible()
    box = blackout.bounding_box()
    assert (box["width"], box["height"]) == (1280, 720)
    page.keyboard.press("ArrowRight")  # while black, walking does nothing
    assert page.url.endswith(f"/demos/{LIVE_DEMOS[0]}/")
    page.keyboard.press(".")
    expect(blackout).to_have_count(0)


# the room -----------------------------------------------------------------------------------


def test_the_room_count_follows_phones_as_they_open_write_and_close(fresh, browser, presenter):
    join = presenter("/join/")
    devices = join.locator("#room [data-room-devices]")
    writers = join.locator("#room [data-room-writers]")
    start = int(devices.inner_text())
    phones = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 375, "height": 740})
        phone = context.new_page()
        phone.goto(fresh.url + "/demos/push/")
        phone.wait_for_selector("body.is-live")
        phones.append(context)
    expect(devices).to_have_text(str(start + 2), timeout=10_000)
    wrote = int(writers.inner_text())
    phone = phones[0].pages[0]
    phone.fill("[data-write-form] input[type=text]", unique("hello from row 12"))
    phone.click("[data-write-form] button")
    expect(writers).to_have_text(str(wrote + 1), timeout=10_000)
    phones.pop().close()
    expect(devices).to_have_text(str(start + 1), timeout=10_000)
    phones.pop().close()
    expect(devices).to_have_text(str(start), timeout=10_000)


def test_the_presenter_header_shows_the_room_but_not_the_audience_header(fresh, presenter, new_page):
    stage = presenter(f"/demos/{LIVE_DEMOS[0]}/")
    expect(stage.locator("header #room")).to_be_visible()
    audience = new_page(f"/demos/{LIVE_DEMOS[0]}/")
    assert audience.locator("#room").count() == 0


def test_a_socket_that_stopped_beating_ages_out():
    from push import room
    from showcase.redis_client import redis_client

    redis_client().delete(room.SOCKETS)
    now = time.time()
    redis_client().zadd(
        room.SOCKETS,
        {
            room.member("phone-a", "chan-1"): now,
            room.member("phone-a", "chan-2"): now,  # a second tab of the same phone
            room.member("phone-b", "chan-3"): now,
            room.member("crashed", "chan-4"): now - room.EXPIRE_S - 1,  # its process died
        },
    )
    assert room.devices_now() == 2
    assert redis_client().zcard(room.SOCKETS) == 3


# everything stays live ----------------------------------------------------------------------


def test_a_manage_py_lag_change_shows_in_an_open_control_panel(fresh, presenter):
    panel = presenter("/control/")
    panel.evaluate("window.__notReloaded = true")
    fresh.lag(delay_ms=4321, replica_lag="slow=1234")
    expect(panel.locator("#id_delay_ms")).to_have_value("4321", timeout=10_000)
    expect(panel.locator('output[for="id_delay_ms"]')).to_have_text("4.321 s")
    expect(panel.locator("#id_replica_slow")).to_have_value("1234")
    fresh.lag(pause=True)
    expect(panel.locator('[data-control="partition"]')).to_have_attribute("aria-checked", "true", timeout=10_000)
    assert panel.evaluate("window.__notReloaded") is True


def test_read_your_writes_panes_update_when_the_replica_applies(fresh, new_page):
    fresh.lag(delay_ms=6000, jitter_ms=0, replica_lag="slow=0")  # longer than a page load on a busy machine
    page = new_page("/demos/read-your-writes/")
    text = unique("where is it")
    page.fill("[data-write-form] input[type=text]", text)
    with page.expect_navigation():
        page.click("[data-write-form] button")
    page.wait_for_selector("body.is-live")
    page.evaluate("window.__notReloaded = true")
    mine = page.locator('[data-pane="trick"] [data-item-id]', has_text=text)
    expect(mine).to_have_attribute("data-state", "pending")
    assert page.locator('[data-pane="naive"] [data-item-id]', has_text=text).count() == 0
    # The replica applies: the stale read catches up by push, the trick's item is confirmed.
    expect(page.locator('[data-pane="naive"] [data-item-id]', has_text=text)).to_be_visible(timeout=20_000)
    expect(mine).to_have_attribute("data-state", "confirmed", timeout=5000)
    expect(page.locator("[data-caught-up]")).to_contain_text("Caught up live")
    expect(page.locator("[data-served-by]")).to_contain_text("already at your token")
    assert page.evaluate("window.__notReloaded") is True


# rehearsal ----------------------------------------------------------------------------------


def test_the_generic_rehearsal_check_passes_a_working_demo_and_fails_a_silent_one(fresh, new_page):
    page = new_page("/demos/optimistic/")
    stage = rehearsal.Stage(page=page, texts=(unique("generic"),), delay_ms=0, bound_ms=15_000)
    assert all(v.ok for v in rehearsal.generic(stage))
    # The same check against a page whose push and answers never come: it must say so.
    silent = new_page("/demos/push/")
    silent.route("**/write/", lambda route: route.fulfill(status=202, body=""))
    stage = rehearsal.Stage(page=silent, texts=(unique("lost"),), delay_ms=0, bound_ms=3000)
    assert not all(v.ok for v in rehearsal.generic(stage))


def reads_eventual_for_strong(route) -> None:
    route.continue_(url=route.request.url.replace("/read/strong/", "/read/eventual/"))


def forgets_what_it_saw(route) -> None:
    route.continue_(url=re.sub(r"seen=\d+", "seen=0", route.request.url))


# A pane broken in the page, and its check must say so: (demo, requests to break, how, the
# pane, the lag, the replicas' extra lags). The strong reader reading the as-it-arrives
# replica still gets answers within the allowed scores the server sends along, so only the
# check's own judgement of each read catches it; the monotonic reader that forgets what it saw
# is the naive one, and goes back in time as soon as the replicas lag seconds apart.
BREAKS = {
    "baseball-strong-reads-a-lagging-replica": (
        "baseball",
        re.compile(r"/demos/baseball/read/strong/"),
        reads_eventual_for_strong,
        "strong",
        1500,
        (),
    ),
    "monotonic-reads-trick-forgets-what-it-saw": (
        "monotonic-reads",
        re.compile(r"/demos/monotonic-reads/trick/"),
        forgets_what_it_saw,
        "trick",
        500,
        ("medium=3000", "slow=8000"),
    ),
}


@pytest.mark.parametrize("broken", list(BREAKS))
def test_a_demo_check_fails_the_pane_that_breaks_its_promise(fresh, new_page, broken):
    slug, requests, handler, pane, delay_ms, replicas = BREAKS[broken]
    fresh.manage("lag", "--delay-ms", str(delay_ms), *(arg for r in replicas for arg in ("--replica-lag", r)))
    page = new_page(f"/demos/{slug}/", setup=lambda page: page.route(requests, handler))
    texts = tuple(unique(text) for text in registry.get(slug).scenario.texts)
    stage = rehearsal.Stage(page=page, texts=texts, delay_ms=delay_ms, bound_ms=20_000, lag_ms=delay_ms)
    verdicts = registry.get(slug).rehearsal(stage)
    print("\n" + "\n".join(f"{'ok ' if v.ok else 'BAD'} {v.pane}: {v.said}" for v in verdicts))
    assert [v for v in verdicts if v.pane == pane and not v.ok], f"the check passed a broken {pane} pane"


# Every live demo: each declares its own check (demos/rehearsal.py), so a full rehearsal is the
# talk from its first demo to its last.
CHECKED = [d.slug for d in registry.live()]


@pytest.mark.timeout(600)
def test_rehearse_runs_every_checked_demo_in_order_and_reports_each_pane(fresh):
    fresh.lag(delay_ms=1500, jitter_ms=200, failure_rate=0.0, replica_lag="slow=1000")
    report = fresh.manage("rehearse", "--url", fresh.url, "--only", ",".join(CHECKED))
    print("\n" + report)
    lines = [line for line in report.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert len(CHECKED) >= 10
    assert all(registry.get(slug).rehearsal for slug in CHECKED), "a demo without a check of its own"
    assert [line.split("(")[1].split(",")[0] for line in lines] == CHECKED
    assert all(line.startswith("PASS") for line in lines), report
    assert f"{len(CHECKED)} of {len(CHECKED)} demos kept every promise" in report
