"""Follow the presenter, in real Chromium against the real app: phones that joined through
/join/ go where the projector (staff, presenter mode) goes; a phone that left stays."""

import re

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
