"""The backbone as people see it, in real Chromium against the real app."""

import time

import pytest
from playwright.sync_api import expect

from tests.conftest import item_seen_at, now_ms, watch_items

pytestmark = pytest.mark.browser


def test_lag_badge_follows_a_change_made_elsewhere_without_reload(fresh, new_page):
    page = new_page("/curtain/")
    badge = page.locator("[data-lag-badge]")
    expect(badge).to_contain_text("lag 0 ms")
    page.evaluate("window.__notReloaded = true")
    started = time.monotonic()
    fresh.lag(delay_ms=2500)
    expect(badge).to_contain_text("lag 2.5 s", timeout=5000)
    print(f"\nbadge updated {time.monotonic() - started:.2f} s after `manage.py lag` was started")
    fresh.lag(pause=True)
    expect(badge).to_contain_text("partition")
    assert page.evaluate("window.__notReloaded") is True


def test_a_write_shows_in_the_fast_replica_before_the_slow_one_at_the_lagged_times(fresh, new_page):
    fresh.lag(delay_ms=1000, replica_lag="slow=2000")
    page = new_page("/curtain/")
    watch_items(page)
    page.fill("[data-write-form] input[type=text]", "watch me travel")
    clicked = now_ms(page)
    page.click("[data-write-form] button")
    item = '[data-state="confirmed"]:has-text("watch me travel")'
    expect(page.locator("#event-log").get_by_text("watch me travel")).to_be_visible(timeout=1000)
    expect(page.locator(f"#replica-fast {item}")).to_be_visible(timeout=5000)
    assert page.locator(f"#replica-slow {item}").count() == 0
    expect(page.locator(f"#replica-slow {item}")).to_be_visible(timeout=8000)
    fast = (item_seen_at(page, "replica-fast", "watch me travel", "confirmed") - clicked) / 1000
    slow = (item_seen_at(page, "replica-slow", "watch me travel", "confirmed") - clicked) / 1000
    print(f"\nseen in the browser after the click: fast {fast:.2f} s, slow {slow:.2f} s (lag 1 s / 3 s)")
    assert 0.95 <= fast < 2.5
    assert 2.95 <= slow < 5.0


def test_users_text_renders_inert(fresh, new_page):
    page = new_page("/curtain/")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for text in ["<img src=x onerror=alert(1)>", '<div hx-get="/admin/" hx-trigger="load">boo</div>']:
        page.fill("[data-write-form] input[type=text]", text)
        page.click("[data-write-form] button")
        expect(page.locator("#replica-fast .text", has_text=text)).to_be_visible(timeout=5000)
    assert dialogs == []
    assert page.locator("#replica-fast img, #event-log img, main [hx-get='/admin/']").count() == 0


def test_empty_input_gets_a_message_and_no_event(fresh, new_page):
    page = new_page("/curtain/")
    page.eval_on_selector("[data-write-form] input[type=text]", "el => el.removeAttribute('required')")
    page.fill("[data-write-form] input[type=text]", "   ")
    page.click("[data-write-form] button")
    expect(page.locator("[data-write-form] [role=alert]")).to_contain_text("Write something")
    assert fresh.query("SELECT count(*) FROM store_event WHERE stream = 'curtain'") == [(3,)]
