"""The CAP demo in real Chromium against the real app: a quorum that costs the lag, refuses
under a partition and never shows a refused write; an AP side that answers and converges."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import wait_until
from tests.helpers import write

pytestmark = pytest.mark.browser
PAGE = "/demos/cap/"


def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:6]}"


def statuses(page, path: str) -> list[int]:
    """Collect the HTTP status of every response to `path` from now on."""
    seen: list[int] = []
    page.on("response", lambda r: path in r.url and seen.append(r.status))
    return seen


def queued_in_cluster(live) -> int:
    return live.query(
        "SELECT count(*) FROM store_delivery d JOIN store_replica r ON r.name = d.replica_id "
        "WHERE r.stream = 'cap' AND d.state = 'queued'"
    )[0][0]


def test_cp_answers_once_a_majority_has_the_write_and_ap_at_once(fresh, new_page):
    fresh.lag(delay_ms=2000, jitter_ms=0)
    page = new_page(PAGE)
    cp_status = statuses(page, "/demos/cap/cp/")
    text = unique("Seat 4A")
    key = write(page, text)
    expect(page.locator("#ap-own [data-item-id]", has_text=text)).to_have_attribute("data-state", "pending")
    expect(page.locator("#cp-answers .answer--waiting", has_text=text)).to_be_visible()
    assert page.locator("#cp-list [data-item-id]", has_text=text).count() == 0
    row = page.locator("#cp-answers [data-op=write][data-outcome=answered]", has_text=text)
    expect(row).to_be_visible(timeout=20_000)
    print(f"\ncap: CP write answered after {row.get_attribute('data-ms')} ms at lag 2 s")
    assert int(row.get_attribute("data-ms")) >= 2000, "a majority cannot have it before the lag"
    assert cp_status == [200]
    acks = fresh.query(
        "SELECT count(*) FROM store_delivery WHERE event_id = (SELECT id FROM store_event WHERE key = ?) "
        "AND state != 'queued'",
        (f"cp-{key}",),
    )[0][0]
    assert acks >= 2
    expect(page.locator("#cp-list [data-item-id]", has_text=text)).to_be_visible()
    expect(page.locator("[data-cap-latency]")).to_contain_text("s")
    expect(page.locator("#ap-list [data-item-id]", has_text=text)).to_be_visible(timeout=20_000)
    expect(page.locator("#ap-own [data-item-id]")).to_have_count(0)
    expect(page.locator('[data-pane="cp"] [data-cap="availability"]')).to_have_text("100 %")


def test_cp_refuses_under_a_partition_and_the_refused_write_never_appears(fresh, new_page):
    fresh.lag(delay_ms=2000, jitter_ms=0, pause=True)
    page = new_page(PAGE)
    cp_status = statuses(page, "/demos/cap/cp/")
    text = unique("Seat 9F")
    key = write(page, text)
    refused = page.locator("#cp-answers [data-op=write][data-outcome=refused]", has_text=text)
    expect(refused).to_contain_text("unavailable: no majority", timeout=20_000)
    waited = int(refused.get_attribute("data-ms"))
    print(f"\ncap: CP refused after {waited} ms under a partition")
    assert waited < 3000
    assert cp_status == [503]
    expect(page.locator("#ap-own [data-item-id]", has_text=text)).to_be_visible()
    assert fresh.query("SELECT count(*) FROM store_event WHERE key = ?", (f"cp-{key}",)) == [(0,)]
    expect(page.locator('[data-pane="cp"] [data-cap="refused"]')).not_to_have_text("0")
    expect(page.locator('[data-pane="cp"] [data-anomaly-list]')).to_contain_text("refused")

    fresh.lag(heal=True)
    expect(page.locator("#ap-list [data-item-id]", has_text=text)).to_be_visible(timeout=20_000)
    wait_until(lambda: queued_in_cluster(fresh) == 0, timeout=20, what="the cluster to catch up")
    page.locator('[data-pane="cp"] .reread').click()
    expect(page.locator("#cp-answers [data-op=read]").first).to_have_attribute("data-outcome", "answered")
    assert page.locator("#cp-list [data-item-id]", has_text=text).count() == 0
    assert fresh.query("SELECT count(*) FROM store_event WHERE key = ?", (f"cp-{key}",)) == [(0,)]
    assert fresh.query("SELECT count(*) FROM store_event WHERE payload LIKE ? AND kind = 'cap.cp'", (f"%{text}%",)) == [
        (0,)
    ]
    curtain = new_page("/curtain/")
    expect(curtain.locator('[data-item-id="ap-' + key + '"]').first).to_be_visible()
    assert curtain.locator('[data-item-id="cp-' + key + '"]').count() == 0


def test_ap_other_session_reads_stale_in_a_partition_and_converges_after_heal(fresh, new_page):
    fresh.lag(delay_ms=2000, jitter_ms=0)
    reader = new_page(PAGE)
    writer = new_page(PAGE)
    fresh.lag(pause=True)
    expect(reader.locator(".panes")).to_have_attribute("data-partitioned", "true")
    expect(reader.locator("#cp-answers [data-op=read]").first).to_have_attribute("data-outcome", "refused")
    text = unique("Seat 2B")
    write(writer, text)
    expect(writer.locator("#ap-own [data-item-id]", has_text=text)).to_be_visible()
    expect(writer.locator("#ap-answers [data-op=write]", has_text=text)).to_contain_text("accepted at once")
    reader.locator('[data-pane="ap"] .reread').click()
    expect(reader.locator("#ap-answers [data-op=read]").first).to_contain_text("stale: 1 write behind")
    assert reader.locator('[data-pane="ap"] [data-item-id]', has_text=text).count() == 0
    expect(reader.locator('[data-pane="ap"] [data-cap="stale"]')).not_to_have_text("0")
    expect(reader.locator('[data-pane="ap"] [data-anomaly-list]')).to_contain_text("stale read")

    fresh.lag(heal=True)
    expect(reader.locator("#ap-list [data-item-id]", has_text=text)).to_be_visible(timeout=20_000)
    expect(writer.locator("#ap-list [data-item-id]", has_text=text)).to_be_visible(timeout=20_000)
    converged = reader.locator('[data-pane="ap"] [data-cap="converge"]')
    expect(converged).not_to_have_text("—", timeout=20_000)
    print(f"\ncap: AP converged {converged.inner_text()} after the heal")
    expect(reader.locator('[data-pane="cp"] [data-cap="converge"]')).not_to_have_text("—")


def test_cap_fits_a_375_px_phone_without_sideways_scroll(fresh, new_page):
    page = new_page(PAGE, width=375, height=812)
    text = unique("from a phone with a rather long seat request that must wrap nicely")
    write(page, text)
    expect(page.locator("#cp-answers [data-op=write][data-outcome=answered]", has_text=text)).to_be_visible(
        timeout=20_000
    )
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
