"""Verdicts live, in real Chromium against the real app: after a partition, the independent
checker finds CP linearizable and AP not, on what the panes did and showed, and each pane shows
it with the number of operations checked and a diagram of the violation one click away."""

import os
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import wait_until
from tests.helpers import write, write_accepted
from tests.test_browser_cap import queued_in_cluster

pytestmark = pytest.mark.browser
PAGE = "/demos/cap/"
SHOTS = os.environ.get("VERDICT_SHOTS_DIR", "")  # where to save screenshots for the docs, if anywhere


def shoot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"verdicts-{name}.png"), full_page=False)


def test_after_a_partition_cp_is_linearizable_and_ap_is_not(fresh, new_page):
    fresh.lag(delay_ms=1000, jitter_ms=0)
    reader = new_page(PAGE, width=1280, height=800)
    writer = new_page(PAGE, width=1280, height=800)
    fresh.lag(pause=True)
    expect(reader.locator(".panes")).to_have_attribute("data-partitioned", "true")
    text = f"Seat 12A {uuid.uuid4().hex[:4]}"
    write(writer, text)
    expect(writer.locator("#ap-answers [data-op=write]", has_text=text)).to_contain_text("accepted at once")
    expect(writer.locator("#cp-answers [data-op=write][data-outcome=refused]", has_text=text)).to_be_visible(
        timeout=20_000
    )
    reader.locator('[data-pane="ap"] .reread').click()
    expect(reader.locator("#ap-answers [data-op=read]").first).to_contain_text("stale")

    fresh.lag(heal=True)
    expect(reader.locator("#ap-list [data-item-id]", has_text=text)).to_be_visible(timeout=20_000)
    wait_until(lambda: queued_in_cluster(fresh) == 0, timeout=20, what="the cluster to catch up")
    reader.locator('[data-pane="cp"] .reread').click()

    for page in (reader, writer):
        cp = page.locator('[data-pane="cp"] [data-verdict]')
        ap = page.locator('[data-pane="ap"] [data-verdict]')
        expect(ap).to_have_attribute("data-verdict", "violation", timeout=20_000)
        expect(cp).to_have_attribute("data-verdict", "ok", timeout=20_000)
        assert int(cp.get_attribute("data-checked-ops")) > 0
        assert int(ap.get_attribute("data-checked-ops")) > 0
        expect(ap).to_contain_text("not linearizable")
        expect(ap).to_contain_text(f"“{text}” read as missing")
        expect(cp).to_contain_text("linearizable")
        expect(ap.locator(".verdict-symbol")).to_have_text("✖")
        expect(cp.locator(".verdict-symbol")).to_have_text("✔")
    reader.locator('[data-pane="cp"]').scroll_into_view_if_needed()
    shoot(reader, "cap-after-partition")

    link = reader.locator('[data-pane="ap"] [data-verdict-diagram]')
    with reader.context.expect_page() as opened:
        link.click()
    diagram = opened.value
    diagram.wait_for_load_state()
    assert diagram.evaluate("document.contentType") == "image/svg+xml"
    assert text in diagram.locator("svg").text_content()
    diagram.set_viewport_size({"width": 1280, "height": 800})
    shoot(diagram, "ap-diagram")

    curtain = new_page("/curtain/", width=1280, height=800)
    judged = curtain.locator("#curtain-verdicts [data-judged-run^='cap:']").first
    expect(judged.locator('[data-verdict="violation"]')).to_contain_text("AP")
    expect(judged.locator('[data-verdict="ok"]')).to_contain_text("CP")
    judged.scroll_into_view_if_needed()
    shoot(curtain, "curtain")


def test_baseball_readers_each_keep_their_guarantee_by_the_checkers_verdict(fresh, live, new_page):
    live.lag(delay_ms=400, jitter_ms=800, reorder=True, replica_lag="slow=1500")
    page = new_page("/demos/baseball/", width=1280, height=800)
    page.click("[data-play]")
    expect(page.locator("[data-demo][data-game=over]")).to_be_attached(timeout=60_000)
    for pane in page.locator("[data-guarantee]").all():
        expect(pane).to_have_attribute("data-score", "2-5", timeout=90_000)
    for guarantee in ("strong", "consistent-prefix", "bounded-staleness", "monotonic-reads", "read-my-writes"):
        verdict = page.locator(f'[data-guarantee="{guarantee}"] [data-verdict]')
        expect(verdict).to_have_attribute("data-verdict", "ok", timeout=20_000)
        expect(verdict).not_to_have_attribute("data-checked-ops", "0")
        expect(verdict.locator(".verdict-symbol")).to_have_text("✔")
    # The eventual reader promises no order: judged against consistent prefix, it may break it.
    eventual = page.locator('[data-guarantee="eventual"] [data-verdict]')
    expect(eventual).to_have_attribute("data-verdict", re.compile("^(ok|violation)$"), timeout=20_000)
    shoot(page, "baseball")


def test_monotonic_writes_the_checker_finds_naive_out_of_order_and_the_trick_in_order(fresh, new_page):
    # "price 40" is due in 6 s; then the lag drops, so the "publish" written after it lands first.
    fresh.lag(delay_ms=6000, jitter_ms=0)
    page = new_page("/demos/monotonic-writes/", width=1280, height=800)
    write_accepted(page, "price 40")
    fresh.lag(delay_ms=0, jitter_ms=0)
    write_accepted(page, "publish")
    naive = page.locator('[data-pane="naive"] [data-verdict]')
    trick = page.locator('[data-pane="trick"] [data-verdict]')
    expect(naive).to_have_attribute("data-verdict", "violation", timeout=20_000)
    expect(naive).to_contain_text("out of its session's order")
    expect(naive).to_contain_text("“publish”")
    expect(naive).to_contain_text("applied without “price 40”")
    expect(naive.locator(".verdict-symbol")).to_have_text("✖")
    # The price arrives: the trick releases both in the session's order, and keeps the guarantee.
    expect(page.locator("#mw-trick [data-price]")).to_have_attribute("data-price", "40", timeout=30_000)
    expect(trick).to_have_attribute("data-verdict", "ok", timeout=20_000)
    expect(trick).to_contain_text("in each session's order")
    expect(trick.locator(".verdict-symbol")).to_have_text("✔")
    assert int(trick.get_attribute("data-checked-ops")) >= 4  # two writes, the listings it showed
    assert int(naive.get_attribute("data-checked-ops")) >= 4
    shoot(page, "monotonic-writes")
    link = naive.locator("[data-verdict-diagram]")
    with page.context.expect_page() as opened:
        link.click()
    diagram = opened.value
    diagram.wait_for_load_state()
    assert diagram.evaluate("document.contentType") == "image/svg+xml"
    assert "“publish”" in diagram.locator("svg").text_content()
    diagram.set_viewport_size({"width": 1280, "height": 800})
    shoot(diagram, "monotonic-writes-diagram")
    assert not page.errors
