"""A run recorded from writes in real Chromium, replayed at /runs/<id>/ step by step, and
exported as one file that replays from disk with every network request blocked."""

import os
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
# Screenshots for a human to look at, when asked for (SHOTS_DIR=/some/dir).
SHOTS = os.environ.get("SHOTS_DIR", "")


def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:6]}"


def write(page, text: str) -> None:
    page.fill("[data-write-form] input[type=text]", text)
    page.click("[data-write-form] button")


def record_a_run_with_a_partition(live, new_page) -> tuple[int, dict[str, str]]:
    """Three writes on the optimistic demo, the second during a partition; return the run's id
    and each text's item id as the live page showed it."""
    live.lag(delay_ms=300, jitter_ms=0, replica_lag="slow=0")
    page = new_page("/demos/optimistic/")
    texts = [unique("before"), unique("during the partition"), unique("after the heal")]
    write(page, texts[0])
    expect(page.locator("#opt-list [data-state=confirmed]", has_text=texts[0])).to_be_visible()
    live.lag(pause=True)
    write(page, texts[1])
    expect(page.locator("[data-state=pending]", has_text=texts[1])).to_be_visible()
    live.lag(heal=True)
    write(page, texts[2])
    for text in texts[1:]:
        expect(page.locator("#opt-list [data-state=confirmed]", has_text=text)).to_be_visible(timeout=8000)
    ids = {t: page.locator("#opt-list [data-item-id]", has_text=t).get_attribute("data-item-id") for t in texts}
    runs = new_page("/runs/")
    row = runs.locator("tr[data-run-id]", has_text="optimistic").first
    return int(row.get_attribute("data-run-id")), ids


def position(page) -> tuple[int, int]:
    i, n = page.locator("[data-replay-position]").inner_text().split("/")
    return int(i), int(n)


def pane_states(page, pane: str = "trick") -> dict[str, str]:
    return page.evaluate(
        """pane => Object.fromEntries(Array.from(document.querySelectorAll(
             `[data-replay-pane=${pane}] [data-item-id]`)).map(el => [el.dataset.itemId, el.dataset.state]))""",
        pane,
    )


def scrub_to(page, index: int) -> None:
    page.evaluate(
        """i => { const r = document.querySelector('[data-replay-scrub]'); r.value = String(i);
                  r.dispatchEvent(new Event('input', {bubbles: true})); }""",
        index,
    )


def test_a_run_steps_back_and_forth_and_its_export_replays_offline(fresh, new_page, browser, tmp_path):
    run_id, ids = record_a_run_with_a_partition(fresh, new_page)
    first, during, after = ids.values()

    page = new_page(f"/runs/{run_id}/")
    expect(page.locator("[data-replay][data-replay-ready]")).to_have_count(1)
    i, n = position(page)
    assert i == 0 and n >= 9  # 3 accepted, 2 replicas' applies each, pushes, the partition's lag changes
    # Forward until the first write is confirmed; one step back it is pending again.
    while pane_states(page).get(first) != "confirmed":
        page.keyboard.press("]")
        assert position(page)[0] == i + 1, "one key press is one event"
        i += 1
    assert pane_states(page, "naive") == {first: "confirmed"}
    page.keyboard.press("[")
    assert position(page) == (i - 1, n)
    assert pane_states(page)[first] == "pending" and pane_states(page, "naive") == {}
    page.click('[data-replay-step="forward"]')
    assert position(page) == (i, n) and pane_states(page)[first] == "confirmed"

    scrub_to(page, n - 1)
    assert position(page) == (n - 1, n)
    final = pane_states(page)
    assert {first, during, after} <= set(final) and {final[k] for k in (first, during, after)} == {"confirmed"}
    expect(page.locator("[data-replay-diagram] .fault--partition")).to_contain_text("partition")

    if SHOTS:
        # Mid-replay, inside the partition: the second write accepted, not yet applied.
        events = page.evaluate("window.ShellGameReplay.events")
        inside = next(k for k, e in enumerate(events) if e.get("key") == during)
        scrub_to(page, inside)
        page.screenshot(path=f"{SHOTS}/runs-replay-desktop.png", full_page=True)
        phone = new_page(f"/runs/{run_id}/", width=375, height=740)
        scrub_to(phone, inside)
        phone.screenshot(path=f"{SHOTS}/runs-replay-phone.png", full_page=True)

    exported = tmp_path / "run.html"
    fresh.manage("export_run", str(run_id), "-o", str(exported))
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    blocked, failed = [], []

    def only_the_file(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_file)
    offline = context.new_page()
    offline.on("requestfailed", lambda request: failed.append(request.url))
    errors = []
    offline.on("pageerror", lambda error: errors.append(str(error)))
    offline.goto(exported.as_uri())
    expect(offline.locator("[data-replay][data-replay-ready]")).to_have_count(1)
    # The run may have grown since (a browser's "seen" beacons): the export has all of it.
    start, total = position(offline)
    assert start == 0 and total >= n
    scrub_to(offline, total - 1)
    assert pane_states(offline) == final
    offline.keyboard.press("[")
    assert position(offline) == (total - 2, total)
    if SHOTS:
        offline.screenshot(path=f"{SHOTS}/runs-export-desktop.png", full_page=True)
    context.close()
    assert (blocked, failed, errors) == ([], [], [])


def test_the_download_button_serves_the_same_file(fresh, new_page):
    run_id, _ = record_a_run_with_a_partition(fresh, new_page)
    page = new_page(f"/runs/{run_id}/")
    with page.expect_download() as info:
        page.click("[data-replay-download]")
    html = Path(info.value.path()).read_text()
    assert re.search(r'<script id="run-data" type="application/json">', html)
    assert "Replay.prototype" in html and not re.search(r"<(script|link)[^>]+(src|href)=", html)
