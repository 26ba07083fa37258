"""Follow the presenter, in real Chromium against the real app: phones that joined through
/join/ go where the projector (staff, presenter mode) goes; a phone that left stays."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from conference.templatetags.conference import walk
from tests.conftest import wait_until
from tests.test_conference_browser import staff_page, staff_password  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def following_path(page) -> str:
    return page.locator("#follow-at").get_attribute("data-follow-path") or ""


def test_phones_follow_the_projector_and_a_phone_that_left_stays(fresh, staff_page, new_page):  # noqa: F811
    first, second = walk()[2], walk()[3]  # two demos, in the talk's order
    projector = staff_page(first)
    with projector.expect_response(lambda r: r.url.endswith("/follow/lead/")) as announced:
        projector.keyboard.press("p")
    assert announced.value.status == 204
    expect(projector.locator("body")).to_have_class(re.compile(r"\bpresenter\b"))

    # Joining lands on the projector's page: the socket's first message says where it is.
    phones = [new_page("/join/", width=390, height=800) for _ in range(2)]
    for phone in phones:
        phone.wait_for_url(f"**{first}", timeout=10_000)
        phone.wait_for_selector("body.is-live")
        expect(phone.locator("[data-follow-bar]")).to_contain_text("Following the presenter")
    stayer, follower = phones
    with stayer.expect_response(lambda r: r.url.endswith("/follow/leave/")) as left:
        stayer.click("[data-follow-leave]")
    assert left.value.status == 204
    expect(stayer.locator("[data-follow-bar]")).to_have_count(0)
    stayer.evaluate("window.__stayed = true")

    projector.keyboard.press("ArrowRight")  # the next demo, as a clicker's PageDown would
    projector.wait_for_url(f"**{second}")
    follower.wait_for_url(f"**{second}", timeout=10_000)
    follower.wait_for_selector("body.is-live")
    expect(follower.locator("[data-follow-bar]")).to_have_count(1)

    # The phone that left got the same news and did not set off.
    wait_until(lambda: following_path(stayer) == second, what="the announcement on the phone that left")
    assert stayer.evaluate("document.body.dataset.followGoing") is None
    assert stayer.evaluate("window.__stayed") is True
    assert stayer.url.endswith(first)
    # Its session browses on its own from now on, with the way back.
    stayer.goto(stayer.url)
    expect(stayer.locator("[data-follow-left] a")).to_have_attribute("href", "/join/")

    with projector.expect_response(lambda r: r.url.endswith("/presenter/")):
        projector.keyboard.press("p")  # presenter mode off: nobody leads any more
    wait_until(lambda: following_path(follower) == "", what="the follower told nobody leads")


SOCKETS_OPENED = """
() => {
  window.__opened = 0;
  document.addEventListener("htmx:wsOpen", () => { window.__opened += 1; });
  window.__loaded = performance.timeOrigin;
}
"""


FRAMES_SEEN = """
() => {
  window.__frames = { log: 0, timeline: 0 };
  document.addEventListener("htmx:wsBeforeMessage", (event) => {
    const message = String(event.detail.message);
    if (message.startsWith("<!--follow-page ")) { return; }  // the page itself
    if (message.includes('id="event-log"')) { window.__frames.log += 1; }
    if (message.includes('data-patch="timeline:"')) { window.__frames.timeline += 1; }
  });
}
"""


def go_on(projector, path: str) -> None:
    """The projector walks to `path` with the arrow keys, as a clicker does."""
    pages = walk()
    key = "ArrowLeft" if pages.index(path) < pages.index(urlsplit(projector.url).path) else "ArrowRight"
    while urlsplit(projector.url).path != path:
        projector.evaluate("document.activeElement?.blur()")  # keys typed in a field stay in it
        projector.keyboard.press(key)
        projector.wait_for_load_state()
        projector.wait_for_selector("body.is-live")


def test_a_phone_that_wrote_nothing_swaps_in_the_next_demo_on_its_socket(fresh, staff_page, new_page):  # noqa: F811
    """The next demo comes pushed, rendered once for the room: the phone shows it without a page
    load or a new socket, its socket moves to the new demo's groups, and the new demo's script
    runs. A phone that wrote on another demo's page swaps it in too; one that wrote on the page
    the projector moves to loads it (it shows its own writes)."""
    pages = walk()
    first, second = pages.index("/demos/optimistic/"), pages.index("/demos/push/")
    projector = staff_page(pages[first])
    with projector.expect_response(lambda r: r.url.endswith("/follow/lead/")):
        projector.keyboard.press("p")
    swapper, writer = (new_page("/join/", width=390, height=800) for _ in range(2))
    for phone in (swapper, writer):
        phone.wait_for_url(f"**{pages[first]}", timeout=10_000)
        phone.wait_for_selector("body.is-live")
        phone.evaluate(SOCKETS_OPENED)
    # The writer writes on the first demo: that page is its own from now on.
    writer.fill("#write-text", "mine")
    with writer.expect_response(lambda r: r.request.method == "POST" and r.status == 202):
        writer.click("#write-form button[type=submit]")

    go_on(projector, pages[second])
    swapper.wait_for_url(f"**{pages[second]}", timeout=10_000)
    writer.wait_for_url(f"**{pages[second]}", timeout=10_000)
    expect(swapper.locator("h1")).to_have_text(projector.locator("h1").inner_text())
    expect(swapper.locator('[data-demo="push"]')).to_have_count(1)
    expect(swapper.locator('[data-demo="optimistic"]')).to_have_count(0)
    # Swapped: the same window, its socket opened once; the writer wrote elsewhere and swapped too.
    assert swapper.evaluate("window.__opened") == 0
    assert swapper.evaluate("window.__loaded") is not None
    assert writer.evaluate("window.__loaded") is not None
    # The new demo's own script ran on it (counters.js, then push.js), each once.
    wait_until(lambda: swapper.evaluate("window.ShellGame.root.dataset.demo") == "push", what="the new demo's scripts")
    assert swapper.evaluate("document.querySelectorAll('main script').length") == 2
    # Its socket is in the new demo's group now: the projector's write is pushed to it.
    projector.fill("#write-text", "pushed to the swapped page")
    with projector.expect_response(lambda r: r.request.method == "POST" and r.status == 202):
        projector.click("#write-form button[type=submit]")
    expect(swapper.locator('[data-pane="trick"]')).to_contain_text("pushed to the swapped page", timeout=15_000)
    # Its forms are its own: the token is this phone's, the idempotency key fresh.
    token = swapper.evaluate("window.ShellGame.page.csrfToken()")
    assert swapper.locator("#write-form [name=csrfmiddlewaretoken]").get_attribute("value") == token
    keys = {p.locator("#write-form [name=key]").get_attribute("value") for p in (swapper, writer, projector)}
    assert len(keys) == 3
    # The phone's own write on the swapped page goes through and is pushed back to it.
    swapper.fill("#write-text", "from the swapped page")
    with swapper.expect_response(lambda r: r.request.method == "POST") as answer:
        swapper.click("#write-form button[type=submit]")
    assert answer.value.status == 202
    expect(swapper.locator('[data-pane="trick"]')).to_contain_text("from the swapped page", timeout=15_000)
    assert swapper.evaluate("window.__opened") == 0
    # Back to the first demo: the writer loads it, with its own write; the swapper wrote elsewhere.
    go_on(projector, pages[first])
    swapper.wait_for_url(f"**{pages[first]}", timeout=10_000)
    writer.wait_for_url(f"**{pages[first]}", timeout=10_000)
    wait_until(lambda: writer.evaluate("window.__loaded") is None, what="the writer to load its own page")
    expect(writer.locator('[data-pane="trick"]')).to_contain_text("mine", timeout=15_000)
    assert swapper.evaluate("window.__loaded") is not None


def test_the_curtain_and_the_index_come_pushed_too(fresh, staff_page, new_page):  # noqa: F811
    """The talk's other pages are the same for every phone that wrote nothing: the room follows the
    projector to the curtain and to the index on its sockets, and the curtain's log is live on the
    swapped page (its socket moved to the curtain's group)."""
    pages = walk()
    index, curtain, first = pages[0], pages[1], pages[2]
    projector = staff_page(first)
    with projector.expect_response(lambda r: r.url.endswith("/follow/lead/")):
        projector.keyboard.press("p")
    phone = new_page("/join/", width=390, height=800)
    phone.wait_for_url(f"**{first}", timeout=10_000)
    phone.wait_for_selector("body.is-live")
    phone.evaluate(SOCKETS_OPENED)

    phone.evaluate(FRAMES_SEEN)
    go_on(projector, curtain)
    phone.wait_for_url(f"**{curtain}", timeout=10_000)
    expect(phone.locator("h1")).to_have_text("Behind the curtain")
    assert phone.evaluate("window.__opened") == 0 and phone.evaluate("window.__loaded") is not None
    # Its socket moved with the page's counts (push/sent.py): nothing was sent to the curtain since
    # the page was rendered, so it gets the timeline's numbered drawing and not the log again.
    wait_until(lambda: phone.evaluate("window.__frames.timeline") > 0, what="the curtain's timeline, numbered")
    assert phone.evaluate("window.__frames.log") == 0
    projector.fill("#write-text", "seen behind the curtain")
    with projector.expect_response(lambda r: r.request.method == "POST" and r.status == 202):
        projector.click("#write-form button[type=submit]")
    expect(phone.locator("#event-log")).to_contain_text("seen behind the curtain", timeout=15_000)

    go_on(projector, index)
    phone.wait_for_url(lambda url: urlsplit(url).path == index, timeout=10_000)
    expect(phone.locator("h1")).to_have_text("The Shell Game")
    expect(phone.locator(".demo-card")).to_have_count(len(pages) - 2)
    assert phone.evaluate("window.__opened") == 0 and phone.evaluate("window.__loaded") is not None
    assert phone.errors == []
