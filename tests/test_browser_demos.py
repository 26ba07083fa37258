"""The four core demos in real Chromium at lag 3 s, against the real app."""

import re
import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.conftest import click_at, item_seen_at, wait_until, watch_items
from tests.helpers import write

pytestmark = pytest.mark.browser
LAG = dict(delay_ms=3000, jitter_ms=0, replica_lag="slow=0")


def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:6]}"


def applied_at_ms(live, text: str, replica: str) -> float | None:
    """When `replica` applied the write with `text` (epoch ms), or None while it has not."""
    (value,) = live.query(
        "SELECT d.applied_at FROM store_delivery d JOIN store_event e ON e.id = d.event_id "
        "WHERE e.payload LIKE ? AND d.replica_id = ?",
        (f"%{text}%", replica),
    )[0]
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp() * 1000


# optimistic ---------------------------------------------------------------------------------


def test_optimistic_trick_shows_pending_at_once_and_confirms_by_push(fresh, new_page):
    fresh.lag(**LAG)
    page = new_page("/demos/optimistic/")
    watch_items(page)
    page.evaluate("window.__notReloaded = true")
    text = unique("optimistic")
    write(page, text)
    clicked = click_at(page)
    expect(page.locator("#opt-pending [data-state=pending]", has_text=text)).to_be_visible()
    expect(page.locator("#naive-body .busy")).to_be_visible()
    confirmed = page.locator("#opt-list [data-state=confirmed]", has_text=text)
    expect(confirmed).to_be_visible(timeout=8000)
    expect(page.locator("#naive-body [data-state=confirmed]", has_text=text)).to_be_visible(timeout=3000)
    expect(page.locator("#naive-body .busy")).to_have_count(0)
    pending_ms = item_seen_at(page, "opt-pending", text, "pending") - clicked
    confirmed_ms = item_seen_at(page, "opt-list", text, "confirmed") - clicked
    naive_ms = item_seen_at(page, "naive-body", text, "confirmed") - clicked
    print(
        f"\noptimistic at lag 3 s: trick pending after {pending_ms:.0f} ms, confirmed after "
        f"{confirmed_ms:.0f} ms; naive shows it after {naive_ms:.0f} ms"
    )
    assert pending_ms < 100
    assert 2900 <= confirmed_ms < 6000
    assert naive_ms >= 2900
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator("#opt-pending [data-item-id]").count() == 0
    assert page.locator('[data-pane="trick"] [data-counter="feedback"]').inner_text().endswith("ms")


def test_optimistic_rolls_back_a_rejected_write_with_reason_and_retry(fresh, new_page):
    fresh.lag(delay_ms=1000, jitter_ms=0, failure_rate=1.0)
    page = new_page("/demos/optimistic/")
    text = unique("doomed")
    write(page, text)
    expect(page.locator("#opt-pending [data-state=pending]", has_text=text)).to_be_visible()
    rejected = page.locator("#opt-list [data-state=rejected]", has_text=text)
    expect(rejected).to_be_visible(timeout=6000)
    expect(rejected.locator(".reason")).to_contain_text("rolled back:")
    expect(rejected.locator(".retry")).to_be_visible()
    assert page.locator('[data-pane="trick"] [data-state=confirmed]', has_text=text).count() == 0
    assert page.locator("#opt-pending [data-item-id]").count() == 0
    expect(page.locator("#naive-body [role=alert]")).to_contain_text("failed")
    expect(page.locator('[data-pane="trick"] [data-anomaly-list]')).to_contain_text("rolled back")
    fresh.lag(failure_rate=0)
    rejected.locator(".retry").click()
    expect(page.locator("#opt-list [data-state=confirmed]", has_text=text)).to_be_visible(timeout=6000)


def test_optimistic_holds_pending_through_a_partition_and_confirms_on_heal(fresh, new_page):
    fresh.lag(delay_ms=0, jitter_ms=0, pause=True)
    page = new_page("/demos/optimistic/")
    text = unique("during the partition")
    write(page, text)
    expect(page.locator("#opt-pending [data-state=pending]", has_text=text)).to_be_visible()
    expect(page.locator("#naive-body .busy")).to_be_visible()
    page.wait_for_timeout(1500)  # well past the (zero) lag: a partition must hold it back
    expect(page.locator("#opt-pending [data-state=pending]", has_text=text)).to_be_visible()
    fresh.lag(heal=True)
    expect(page.locator("#opt-list [data-state=confirmed]", has_text=text)).to_be_visible(timeout=8000)
    expect(page.locator("#naive-body .busy")).to_have_count(0, timeout=3000)


# read your writes ---------------------------------------------------------------------------


def test_read_your_writes_lands_on_own_item_and_is_per_session(fresh, new_page):
    fresh.lag(**LAG)
    other = new_page("/demos/read-your-writes/")
    page = new_page("/demos/read-your-writes/")
    text = unique("my comment")
    write(page, text)
    page.wait_for_url("**/demos/read-your-writes/")
    mine = page.locator("#ryw-trick [data-item-id]", has_text=text)
    expect(mine).to_be_visible()
    expect(mine).to_have_attribute("data-state", "pending")
    assert page.locator("#ryw-naive [data-item-id]", has_text=text).count() == 0
    expect(page.locator('[data-pane="naive"] [data-anomaly-list]')).to_contain_text("own write missing")
    position = fresh.query("SELECT id FROM store_event WHERE payload LIKE ?", (f"%{text}%",))[0][0]
    expect(page.locator("[data-session-token]")).to_contain_text(f"#{position}")
    other.reload()
    assert other.locator("#ryw-trick [data-item-id]", has_text=text).count() == 0
    wait_until(lambda: applied_at_ms(fresh, text, "slow"), timeout=8, what="the slow replica to apply")
    other.reload()
    expect(other.locator("#ryw-trick [data-item-id]", has_text=text)).to_be_visible()
    expect(other.locator("#ryw-naive [data-item-id]", has_text=text)).to_be_visible()


@pytest.mark.parametrize(
    ("strategy", "served", "state"),
    [("leader", "the leader", "pending"), ("wait", "fell back", "pending"), ("merge", "merged", "pending")],
)
def test_read_your_writes_strategies_say_which_one_served(fresh, new_page, strategy, served, state):
    fresh.lag(**LAG)
    page = new_page(f"/demos/read-your-writes/?strategy={strategy}")
    text = unique(strategy)
    write(page, text)
    page.wait_for_url("**/demos/read-your-writes/")
    expect(page.locator("[data-served-by]")).to_contain_text(served)
    expect(page.locator("#ryw-trick [data-item-id]", has_text=text)).to_have_attribute("data-state", state)


def test_read_your_writes_wait_strategy_serves_the_caught_up_replica(fresh, new_page):
    fresh.lag(delay_ms=800, jitter_ms=0, replica_lag="slow=0")
    page = new_page("/demos/read-your-writes/?strategy=wait")
    text = unique("worth the wait")
    write(page, text)
    page.wait_for_url("**/demos/read-your-writes/")
    expect(page.locator("[data-served-by]")).to_contain_text("already at your token")
    expect(page.locator("#ryw-trick [data-item-id]", has_text=text)).to_have_attribute("data-state", "confirmed")


# pending ------------------------------------------------------------------------------------


def test_pending_shows_steps_disables_resubmit_and_completes_by_push(fresh, new_page):
    fresh.lag(**LAG)
    page = new_page("/demos/pending/")
    text = unique("2 tickets")
    page.fill("[data-write-form] input[type=text]", text)
    page.dblclick("[data-write-form] button")
    card = page.locator("#orders [data-item-id]", has_text=text)
    expect(card).to_have_attribute("data-state", "pending")
    expect(card.locator(".step--now")).to_have_text("processing")
    expect(page.locator("#naive-orders [data-claims=done]", has_text=text)).to_contain_text("Done!")
    expect(page.locator("[data-write-form] button")).to_be_disabled()
    expect(page.locator('[data-pane="naive"] [data-anomaly-list]')).to_contain_text("said done while pending")
    expect(card).to_have_attribute("data-state", "confirmed", timeout=8000)
    expect(card.locator(".step--done")).to_have_count(3)
    expect(page.locator("[data-write-form] button")).to_be_enabled()
    assert card.get_attribute("hx-trigger") is None, "the polling fallback stops when the order is final"
    assert fresh.query("SELECT count(*) FROM store_event WHERE payload LIKE ?", (f"%{text}%",)) == [(1,)]


def test_pending_keeps_its_answer_when_the_final_order_is_pushed_before_the_202_arrives(fresh, new_page):
    """At lag 0 the replica's push can beat the write's own response to the browser: the
    pushed fresh form must not cost the 202 its swaps (the naive "Done!", the order card)."""
    frames = []
    page = new_page(
        "/demos/pending/",
        setup=lambda p: p.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f)))),
    )
    held = []
    page.route("**/demos/pending/write/", lambda route: held.append((route, route.fetch())))
    text = unique("1 race")
    page.fill("[data-write-form] input[type=text]", text)
    page.click("[data-write-form] button")
    # Playwright runs the handlers above only while the test waits inside one of its calls.
    wait_until(lambda: page.wait_for_timeout(20) or held, what="the write to reach the server")
    # Only once the socket has delivered the final order and a fresh form does the 202 arrive.
    wait_until(lambda: page.wait_for_timeout(20) or any('id="order-form"' in f for f in frames), what="the push")
    route, response = held[0]
    route.fulfill(response=response)
    expect(page.locator("#naive-orders [data-claims=done]", has_text=text)).to_contain_text("Done!")
    card = page.locator("#orders [data-item-id]", has_text=text)
    expect(card).to_have_count(1)
    expect(card).to_have_attribute("data-state", "confirmed")
    expect(page.locator("[data-write-form] button")).to_be_enabled()
    expect(page.locator("[data-write-form] button")).to_have_text("Place order")


def test_pending_finishes_by_polling_when_push_is_gone(fresh, new_page):
    fresh.lag(delay_ms=1000, jitter_ms=0)
    # The websocket opens but the server never speaks: only the polling fallback is left.
    page = new_page("/demos/pending/", setup=lambda p: p.route_web_socket(re.compile(r"/ws/live/"), lambda ws: None))
    polls = []
    page.on("request", lambda r: "/demos/pending/order/" in r.url and polls.append(r.url))
    text = unique("1 T-shirt")
    write(page, text)
    card = page.locator("#orders [data-item-id]", has_text=text)
    expect(card).to_have_attribute("data-state", "confirmed", timeout=8000)
    expect(page.locator("[data-write-form] button")).to_be_enabled()
    assert polls, "the card should have polled"
    count = len(polls)
    page.wait_for_timeout(2500)  # longer than the poll interval: no poll may follow a final state
    assert len(polls) == count


# push ---------------------------------------------------------------------------------------


def test_push_reaches_another_session_quickly_while_naive_stays_stale(fresh, new_page):
    fresh.lag(**LAG)
    reader = new_page("/demos/push/")
    watch_items(reader)
    writer = new_page("/demos/push/")
    text = unique("news")
    write(writer, text)
    expect(reader.locator("#push-live [data-item-id]", has_text=text)).to_be_visible(timeout=8000)
    seen = item_seen_at(reader, "push-live", text, "confirmed")
    delay = seen - applied_at_ms(fresh, text, "fast")
    print(f"\npush: seen in the other session {delay:.0f} ms after the replica applied it")
    assert delay < 500
    assert reader.locator("#push-naive [data-item-id]", has_text=text).count() == 0
    expect(reader.locator('[data-pane="naive"] [data-anomaly-list]')).to_contain_text("stale")
    requests = int(reader.locator('[data-pane="naive"] [data-counter="requests"]').inner_text())
    reader.get_by_role("button", name="Reload").click()
    expect(reader.locator("#push-naive [data-item-id]", has_text=text)).to_be_visible()
    assert int(reader.locator('[data-pane="naive"] [data-counter="requests"]').inner_text()) == requests + 1


def test_the_anomaly_meter_counts_an_item_that_vanished_from_the_screen(fresh, new_page):
    page = new_page("/demos/push/")
    text = unique("here today")
    write(page, text)
    expect(page.locator("#push-live [data-item-id]", has_text=text)).to_be_visible(timeout=5000)
    fresh.manage("seed", "--reset")  # the presenter empties the demo data
    expect(page.locator("#push-live [data-item-id]", has_text=text)).to_have_count(0)
    expect(page.locator('[data-pane="trick"] [data-anomaly-list]')).to_contain_text("item vanished")


def test_an_item_pushed_off_the_end_of_a_full_list_is_not_counted_as_vanished(fresh, new_page):
    clients = [fresh.client() for _ in range(3)]  # each session may write 10 per 10 s
    for i in range(15):
        clients[i % 3].write(f"filler {i}", "push")
    page = new_page("/demos/push/")
    expect(page.locator("#push-live [data-item-id]", has_text="filler 14")).to_be_visible(timeout=20_000)
    expect(page.locator("#push-live [data-item-id]", has_text="filler 0")).to_be_visible(timeout=20_000)
    expect(page.locator("#push-live [data-item-id]")).to_have_count(15)
    oldest = page.locator("#push-live [data-item-id]").last.get_attribute("data-item-id")
    text = unique("one more")
    write(page, text)
    expect(page.locator("#push-live [data-item-id]", has_text=text)).to_be_visible(timeout=10_000)
    expect(page.locator(f'#push-live [data-item-id="{oldest}"]')).to_have_count(0)
    expect(page.locator("#push-live [data-item-id]")).to_have_count(15)
    assert "vanished" not in page.locator('[data-pane="trick"] [data-anomaly-list]').inner_text()


def test_pending_card_appears_at_the_click_before_the_server_answers(fresh, new_page):
    fresh.lag(**LAG)
    page = new_page("/demos/pending/")
    watch_items(page)
    text = unique("3 stickers")
    write(page, text)
    clicked = click_at(page)
    expect(page.locator("#orders [data-item-id]", has_text=text).locator(".step--done")).to_have_text("received")
    assert page.locator("#orders [data-item-id]", has_text=text).count() == 1
    feedback = item_seen_at(page, "orders", text, "pending") - clicked
    print(f"\npending: card shown {feedback:.0f} ms after the click")
    assert feedback < 100


def test_naive_polling_shows_its_cost_in_requests(fresh, new_page):
    page = new_page("/demos/push/")
    page.check("#poll")
    counter = page.locator('[data-pane="naive"] [data-counter="requests"]')
    expect(counter).to_have_text("2", timeout=6000)
    page.uncheck("#poll")


def test_push_reconnects_after_a_server_restart_and_catches_up(fresh, new_page):
    fresh.lag(delay_ms=0, jitter_ms=0)
    page = new_page("/demos/push/")
    fresh.stack.stop("web")
    expect(page.locator("body")).not_to_have_class(re.compile("is-live"), timeout=5000)
    text = unique("while you were away")
    fresh.manage("shell", "-c", f"from tests.factories import write; write({text!r}, stream='push')")
    wait_until(lambda: applied_at_ms(fresh, text, "fast"), timeout=8, what="the write to be applied")
    fresh.stack.start_web()
    expect(page.locator("body")).to_have_class(re.compile("is-live"), timeout=15000)
    expect(page.locator("#push-live [data-item-id]", has_text=text)).to_be_visible()


# safety -------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["optimistic", "push", "pending"])
def test_users_text_is_inert_in_every_pane_pushed_or_not(fresh, new_page, slug):
    page = new_page(f"/demos/{slug}/")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    nasty = '<img src=x onerror=alert(1)> <div hx-get="/admin/" hx-trigger="load">x</div>'
    write(page, nasty)
    expect(page.locator('[data-pane="trick"] [data-item-id]', has_text="<img src=x").first).to_be_visible(timeout=6000)
    page.wait_for_load_state("networkidle")
    assert dialogs == []
    assert page.locator("[data-pane] img, [data-pane] [hx-get='/admin/']").count() == 0


@pytest.mark.parametrize("slug", ["optimistic", "pending", "push", "read-your-writes"])
@pytest.mark.parametrize("text", ["   ", "x" * 141])
def test_empty_or_too_long_input_gets_a_message_and_no_event(fresh, new_page, slug, text):
    page = new_page(f"/demos/{slug}/")
    field = page.locator("[data-write-form] input[type=text]")
    field.evaluate("el => { el.removeAttribute('required'); el.removeAttribute('maxlength'); }")
    before = fresh.query("SELECT count(*) FROM store_event")
    field.fill(text)
    page.click("[data-write-form] button")
    expect(page.locator("[data-write-form] [role=alert]")).to_be_visible()
    assert fresh.query("SELECT count(*) FROM store_event") == before
    assert page.locator("#opt-pending [data-item-id]").count() == 0


@pytest.mark.parametrize("slug", ["optimistic", "read-your-writes", "pending", "push"])
def test_demo_fits_a_375_px_phone_without_horizontal_scroll(fresh, new_page, slug):
    page = new_page(f"/demos/{slug}/", width=375, height=740)
    write(page, unique("from a phone with a rather long comment that must wrap nicely"))
    expect(page.locator('[data-pane="trick"] [data-item-id]').first).to_be_visible()
    page.wait_for_load_state("networkidle")  # the write's answer has replaced the form
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The answer may swap the form again (its outcome): measure the button that is there.
    box = wait_until(lambda: page.locator("[data-write-form] button").bounding_box(), what="the form's button")
    assert box["width"] > 40
