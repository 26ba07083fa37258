"""Monotonic writes in real Chromium, against the real app: a "publish" that overtakes its
session's "price 40" goes live at the old price on the naive side, and waits on the trick side."""

import pytest
from playwright.sync_api import expect

from tests.helpers import write_accepted as write

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
PAGE = "/demos/monotonic-writes/"


def test_publish_that_overtakes_the_price_goes_live_early_naive_and_waits_in_the_trick(fresh, new_page):
    # The price is due in 6 s; then the lag drops, so the publish written after it is due at once.
    fresh.lag(delay_ms=6000, jitter_ms=0)
    page = new_page(PAGE)
    write(page, "price 40")
    fresh.lag(delay_ms=0, jitter_ms=0)
    write(page, "publish")
    naive, trick = page.locator("#mw-naive"), page.locator("#mw-trick")
    expect(naive.locator("[data-early]")).to_contain_text("before the price", timeout=20_000)
    expect(naive.locator("[data-published]")).to_have_attribute("data-published", "yes")
    expect(page.locator('[data-pane="naive"] [data-anomaly-list]')).to_contain_text("before the write it follows")
    held = trick.locator("[data-held]")
    expect(held).to_have_count(1)
    expect(held).to_have_attribute("data-state", "pending")
    expect(trick.locator("[data-waiting-for]")).to_be_visible()
    expect(trick.locator("[data-published]")).to_have_attribute("data-published", "no")
    # The price arrives: the trick releases both, in the order they were made.
    expect(trick.locator("[data-price]")).to_have_attribute("data-price", "40", timeout=30_000)
    expect(trick.locator("[data-published]")).to_have_attribute("data-published", "yes")
    expect(trick.locator("[data-held]")).to_have_count(0)
    assert "before the write it follows" not in page.locator('[data-pane="trick"] [data-anomaly-list]').inner_text()
    assert not page.errors
