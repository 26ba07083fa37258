"""Monotonic reads, consistent prefix and Terry's baseball game in real Chromium, against the
real app. The machine may be busy: every wait is for a condition, with a generous deadline."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import wait_until
from tests.helpers import assert_readers_kept_their_guarantees
from tests.helpers import write_accepted as write

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]
GAP_JS = """() => {
  window.__gap = false;
  new MutationObserver(() => {
    if (document.querySelector('#cp-trick [data-waiting-for]')) window.__gap = true;
  }).observe(document.body, {subtree: true, childList: true});
}"""


def anomalies(page, pane: str) -> str:
    return page.locator(f'[data-pane="{pane}"] [data-anomaly-list]').inner_text()


def test_naive_monotonic_pane_goes_back_in_time_and_the_trick_pane_never_does(fresh, live, new_page):
    live.manage("lag", "--delay-ms", "500", "--replica-lag", "slow=8000", "--replica-lag", "medium=3000")
    page = new_page("/demos/monotonic-reads/")
    texts = [f"comment {i} {uuid.uuid4().hex[:4]}" for i in range(3)]
    for text in texts:
        write(page, text)
    expect(page.locator('[data-pane="naive"] [data-anomaly-list]')).to_contain_text("went back in time", timeout=60_000)
    # Until the slowest replica has every comment, the naive side keeps flickering; by then the
    # trick side has had every chance to go back too.
    for pane in ("naive", "trick"):
        expect(page.locator(f'[data-pane="{pane}"] [data-source="slow"]')).to_contain_text(texts[-1], timeout=60_000)
    assert "went back in time" not in anomalies(page, "trick")
    assert page.errors == []


def test_naive_thread_shows_an_answer_before_its_question_and_the_trick_never_does(fresh, live, new_page):
    live.lag(delay_ms=1000, jitter_ms=3000, reorder=True)
    page = new_page("/demos/consistent-prefix/")
    page.evaluate(GAP_JS)
    for pair in range(12):
        question, answer = f"Q: question {pair}?", f"A: answer {pair}"
        write(page, question)
        write(page, answer)
        expect(page.locator("#cp-trick")).to_contain_text(answer, timeout=60_000)
        if "answer before its question" in anomalies(page, "naive"):
            break
    assert "answer before its question" in anomalies(page, "naive")
    assert "answer before its question" not in anomalies(page, "trick")
    assert "out of order" not in anomalies(page, "trick")
    assert page.evaluate("window.__gap"), "the trick pane never said it was waiting for a gap"
    assert page.errors == []


def test_baseball_page_plays_a_game_and_every_pane_reads_within_its_guarantee(fresh, live, new_page):
    live.lag(delay_ms=400, jitter_ms=800, reorder=True, replica_lag="slow=1500")
    page = new_page("/demos/baseball/")
    page.click("[data-play]")
    expect(page.locator("[data-demo][data-game=over]")).to_be_attached(timeout=60_000)
    for pane in page.locator("[data-guarantee]").all():
        expect(pane).to_have_attribute("data-score", "2-5", timeout=90_000)
    expect(page.locator('[data-guarantee="bounded-staleness"]')).to_have_attribute("data-bound-ms", "3000")
    reads = page.evaluate("window.baseballReads")
    assert_readers_kept_their_guarantees(reads)
    assert page.errors == []


@pytest.mark.parametrize("slug", ["monotonic-reads", "consistent-prefix", "baseball"])
def test_guarantee_pages_have_no_sideways_scroll_at_375_px(fresh, new_page, slug):
    page = new_page(f"/demos/{slug}/", width=375, height=812)
    if slug != "consistent-prefix":
        expect(page.locator("[data-read], [data-reading]").first).to_be_attached(timeout=30_000)
    wait_until(lambda: page.evaluate("document.documentElement.scrollWidth") <= 375, 10, what="no sideways scroll")
