"""The conflicts demo in real Chromium against the real app, at lag 2 s: the scripted race
oversells the naive shop and never the trick's; an edit is lost on the left and caught on the right."""

import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from demos.catalog.conflicts import demo, oversell
from tests.test_conference_browser import staff_page, staff_password  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
PATH = "/demos/conflicts/"
LAG = dict(delay_ms=2000, jitter_ms=0, replica_lag="slow=0")
SHOTS = Path(os.environ.get("TEST_ARTIFACTS", tempfile.gettempdir())) / "shell-game-tests"


def shop(page, pane: str) -> dict:
    el = page.locator(f"#shop-{pane}")
    return {name: int(el.get_attribute(f"data-{name}")) for name in ("stock", "sold", "oversold-by")}


def anomalies(page, pane: str) -> int:
    return int(page.locator(f'[data-pane="{pane}"] [data-counter="anomalies"]').inner_text())


def trick_sold_in_log(live) -> int:
    """Purchases of the trick shop since the last restock, read from the log itself."""
    return live.query(
        "SELECT COUNT(*) FROM store_event WHERE kind = ? AND json_extract(payload, '$.shop') = 'trick' "
        "AND id > (SELECT MAX(id) FROM store_event WHERE kind = ?)",
        (oversell.PURCHASE, oversell.RESTOCK),
    )[0][0]


def test_scripted_race_oversells_the_naive_shop_and_never_the_trick(fresh, staff_page):  # noqa: F811
    page = staff_page(PATH)
    page.click("[data-scenario-run]")
    expect(page.locator("[data-scenario-status]")).to_contain_text("Done", timeout=60_000)
    buyers = len(demo.DEMO.scenario.texts[0].split(","))
    # Told at once: every naive buyer got a hoodie; the trick said "sold out" to the extra ones.
    expect(page.locator("#told-buy-naive [data-told=ok]")).to_have_count(buyers)
    expect(page.locator("#told-buy-trick [data-told=refused]")).to_have_count(buyers - oversell.STOCK)
    # Found out later: once the replica catches up, the naive shop sold more than it had.
    expect(page.locator("#shop-naive [data-oversold-alarm]")).to_contain_text(
        f"Oversold by {buyers - oversell.STOCK}", timeout=20_000
    )
    expect(page.locator("#shop-naive .apology")).to_have_count(buyers - oversell.STOCK)
    expect(page.locator("#shop-trick [data-state=pending]")).to_have_count(0, timeout=20_000)
    assert shop(page, "naive") == {"stock": 3, "sold": buyers, "oversold-by": buyers - oversell.STOCK}
    assert shop(page, "trick") == {"stock": 3, "sold": 3, "oversold-by": 0}
    assert trick_sold_in_log(fresh) == oversell.STOCK
    # The two editors: one edit silently lost on the left, a 409 with a choice on the right.
    expect(page.locator("#note-naive [data-lost]")).to_have_count(1, timeout=20_000)
    conflict = page.locator("#conflicts [data-conflict]")
    expect(conflict).to_have_count(1)
    versions = {conflict.locator(f'[data-version="{v}"]').inner_text() for v in ("mine", "theirs")}
    assert versions == set(demo.DEMO.scenario.texts[1:])
    expect(page.locator("#note-trick [data-lost]")).to_have_count(0)
    assert anomalies(page, "naive") >= 3 and anomalies(page, "trick") == 0
    assert page.errors == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(SHOTS / "conflicts-desktop.png"))
    page.screenshot(path=str(SHOTS / "conflicts-desktop-full.png"), full_page=True)


def test_lost_update_between_two_sessions_is_caught_by_the_version_check(fresh, new_page):
    fresh.lag(**LAG)
    first, second = new_page(PATH), new_page(PATH)  # both start from the same version
    for page, text in ((first, "Talk title: The Shell Game"), (second, "Talk title: Shell Game, live")):
        page.fill("[data-edit-form] input[type=text]", text)
        page.click("[data-edit-form] button")
        expect(page.locator("#told-edit-naive [data-told=ok]")).to_have_count(1)
    # The first session saved both notes; the second one's naive save was blind, its trick save a 409.
    expect(first.locator("#told-edit-trick [data-told=ok]")).to_have_count(1)
    conflict = second.locator("#conflicts [data-conflict]")
    expect(conflict.locator('[data-version="theirs"]')).to_have_text("Talk title: The Shell Game")
    expect(conflict.locator('[data-version="mine"]')).to_have_text("Talk title: Shell Game, live")
    expect(conflict.locator("input[name=merged]")).to_have_value("Talk title: The Shell Game, live")
    # Naive: last writer wins and the first session's edit is gone, nobody asked.
    expect(first.locator("#note-naive [data-note-text]")).to_have_text("Talk title: Shell Game, live", timeout=15_000)
    expect(first.locator("#note-naive [data-lost]")).to_contain_text("lost: overwritten by You")
    # Trick: the second session merges, against the version it has now seen.
    conflict.locator("button[value=merge]").click()
    expect(second.locator("#conflicts [data-conflict]")).to_have_count(0)
    merged = "Talk title: The Shell Game, live"
    expect(first.locator("#note-trick [data-note-text]")).to_have_text(merged, timeout=15_000)
    expect(first.locator("#note-trick [data-lost]")).to_have_count(0)
    assert first.errors == [] and second.errors == []


def test_conflicts_page_has_no_sideways_scroll_at_375_px(fresh, new_page):
    fresh.lag(**LAG)
    page = new_page(PATH, width=375, height=812)
    page.fill("[data-write-form] input[type=text]", "Ada, Grace, Linus, Barbara, Ken")
    page.click("[data-write-form] button")
    expect(page.locator("#told-buy-trick [data-told=refused]")).to_have_count(2)
    page.click("button[form=race-form]")
    expect(page.locator("#conflicts [data-conflict]")).to_have_count(1)
    expect(page.locator("#shop-naive [data-oversold-alarm]")).to_be_visible(timeout=20_000)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "conflicts-phone.png"))
    page.locator("#pane-naive").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "conflicts-phone-naive.png"))
    page.locator("#conflicts").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "conflicts-phone-trick.png"))
