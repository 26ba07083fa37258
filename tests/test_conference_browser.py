"""Conference mode in real Chromium against the real app: the control panel reaching other
sessions, staff-only access, presets, the join QR code, keyboard navigation, scenarios,
the live timeline with its "seen" beacon, the rate limit, phones, and no network."""

import io
import re
import secrets
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from conference.presets import PRESETS
from demos import curtain, registry
from tests.conftest import staff_login, wait_until

pytestmark = pytest.mark.browser

STAFF_USER = "presenter"
PRESENTER = re.compile(r"\bpresenter\b")


@pytest.fixture(scope="module")
def staff_password(live) -> str:
    return staff_login(live, STAFF_USER)


@pytest.fixture
def staff_page(live, new_page, staff_password):
    """A browser session logged in as staff through the admin's login form."""

    def open_page(path: str = "/control/", width: int = 1280):
        page = new_page("/", width=width)
        page.goto(f"{live.url}/admin/login/?next={path}")
        page.fill("#id_username", STAFF_USER)
        page.fill("#id_password", staff_password)
        page.click("input[type=submit]")
        page.wait_for_url(live.url + path)
        page.wait_for_selector("body.is-live")
        return page

    return open_page


def lag_row(live) -> tuple:
    return live.query("SELECT delay_ms, jitter_ms, failure_rate, paused, reorder FROM store_lagsettings")[0]


def extra_lag(live, replica: str) -> int:
    return live.query("SELECT extra_lag_ms FROM store_replica WHERE name = ?", (replica,))[0][0]


BADGE_WATCH = """
(text) => {
  // The badge is replaced by an out-of-band swap: watch the header, note when the text shows.
  window.__badgeAt = null;
  new MutationObserver(() => {
    const badge = document.querySelector('[data-lag-badge]');
    if (window.__badgeAt === null && badge && badge.textContent.includes(text)) window.__badgeAt = Date.now();
  }).observe(document.querySelector('header'), {subtree: true, childList: true, characterData: true});
}
"""


def test_a_control_panel_change_reaches_another_session_without_reload(fresh, staff_page, new_page):
    audience = new_page("/curtain/")
    audience.evaluate("window.__notReloaded = true")
    audience.evaluate(BADGE_WATCH, "lag 4.5 s")
    panel = staff_page("/control/")
    panel.evaluate("document.addEventListener('htmx:beforeRequest', () => { window.__postAt = Date.now(); })")
    panel.locator("#id_delay_ms").fill("4500")  # a slider's change event posts the form (htmx)
    expect(audience.locator("[data-lag-badge]")).to_contain_text("lag 4.5 s", timeout=3000)
    elapsed_ms = audience.evaluate("window.__badgeAt") - panel.evaluate("window.__postAt")
    print(f"\ncontrol panel POST -> badge updated in another session: {elapsed_ms} ms")
    assert 0 <= elapsed_ms < 1000
    assert audience.evaluate("window.__notReloaded") is True
    assert lag_row(fresh)[0] == 4500
    expect(panel.locator("[data-notice]")).to_contain_text("Saved")
    expect(panel.locator('output[for="id_delay_ms"]')).to_have_text("4.5 s")

    # The partition switch, and the replica lag shown on the curtain, travel the same way.
    panel.click('[data-control="partition"]')
    expect(audience.locator("[data-lag-badge]")).to_contain_text("partition", timeout=3000)
    expect(panel.locator('[data-control="partition"]')).to_have_attribute("aria-checked", "true")
    # Let the partition's answer finish replacing the panel: a slider moved on the outgoing
    # panel fires its change on an element that is already gone.
    panel.wait_for_load_state("networkidle")
    panel.locator("#id_replica_slow").fill("7000")
    expect(audience.locator("#replica-slow h2")).to_contain_text("+7 s", timeout=3000)
    assert audience.evaluate("window.__notReloaded") is True


def test_out_of_range_is_refused_in_the_panel_with_a_message(fresh, staff_page):
    panel = staff_page("/control/")
    before = lag_row(fresh)
    # A tampered slider: the server, not the browser, is the judge.
    panel.eval_on_selector("#id_jitter_ms", "el => { el.max = 99999; el.value = 99999; }")
    panel.click("[data-lag-form] button[type=submit]")
    expect(panel.locator("#id_jitter_ms-error")).to_contain_text("less than or equal to 10000")
    expect(panel.locator("[data-notice]")).to_contain_text("Nothing changed")
    assert lag_row(fresh) == before


def test_non_staff_get_no_control_panel_and_their_posts_change_nothing(fresh, new_page):
    page = new_page("/")
    assert page.locator("a[href='/control/']").count() == 0
    page.goto(fresh.url + "/control/")
    assert urlsplit(page.url).path == "/admin/login/"
    before, events = lag_row(fresh), fresh.query("SELECT count(*) FROM store_event")
    page.goto(fresh.url + "/")
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    for path, form in [
        ("/control/lag/", {"delay_ms": "12345", "paused": "1"}),
        ("/control/preset/", {"preset": "bad-wifi"}),
        ("/control/reset/", {}),
    ]:
        response = page.request.post(fresh.url + path, form=form, headers={"X-CSRFToken": token}, max_redirects=0)
        assert response.status == 302 and "/admin/login/" in response.headers["location"]
    assert lag_row(fresh) == before
    assert fresh.query("SELECT count(*) FROM store_event") == events


def test_presets_apply_their_values(fresh, staff_page):
    panel = staff_page("/control/")
    for preset in PRESETS:
        panel.click(f'[data-preset="{preset.slug}"]')
        expect(panel.locator(f'[data-preset="{preset.slug}"]')).to_have_attribute("aria-pressed", "true")
        expect(panel.locator("[data-notice]")).to_contain_text(preset.title)
        delay_ms, jitter_ms, failure_rate, paused, reorder = lag_row(fresh)
        values = {
            "delay_ms": delay_ms,
            "jitter_ms": jitter_ms,
            "failure_rate": failure_rate,
            "paused": bool(paused),
            "reorder": bool(reorder),
        }
        assert {k: values[k] for k in preset.changes} == preset.changes
        for replica, ms in preset.replica_lag.items():
            assert extra_lag(fresh, replica) == ms


def test_reset_demo_data_redraws_other_pages(fresh, staff_page, new_page):
    fresh.client().write("written before the reset")
    audience = new_page("/curtain/")
    expect(audience.locator("#event-log")).to_contain_text("written before the reset")
    panel = staff_page("/control/")
    panel.on("dialog", lambda dialog: dialog.accept())
    panel.click('[data-control="reset"]')
    expect(panel.locator("[data-notice]")).to_contain_text("Demo data reset")
    expect(audience.locator("#event-log")).not_to_contain_text("written before the reset", timeout=3000)
    # Seeded again: the log's count and its newest write, the last the seed wrote.
    ((events, newest),) = fresh.query("SELECT count(*), max(id) FROM store_event")
    expect(audience.locator("#event-log h2")).to_contain_text(f"{events} events")
    expect(audience.locator("#event-log li").first).to_contain_text(f"#{newest}")


def test_the_join_qr_code_decodes_to_the_join_url(fresh, new_page):
    page = new_page("/join/")
    url = page.locator("[data-join-url]").inner_text()
    assert url == fresh.url + "/"
    png = page.locator("[data-join-qr] svg").screenshot()
    assert [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == [url]


def test_arrow_keys_walk_between_demos(live, new_page):
    page = new_page("/")
    walk = ["/", "/curtain/", *(f"/demos/{d.slug}/" for d in registry.demos()[:2])]
    for path in walk[1:]:
        page.keyboard.press("ArrowRight")
        page.wait_for_url(live.url + path)
        page.wait_for_selector("body.is-live")
    for path in reversed(walk[:-1]):
        page.keyboard.press("ArrowLeft")
        page.wait_for_url(live.url + path)
        page.wait_for_selector("body.is-live")
    # Typing in a field keeps the arrows for the cursor.
    page.goto(live.url + "/curtain/")
    page.fill("[data-write-form] input[type=text]", "abc")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    assert urlsplit(page.url).path == "/curtain/"


def test_presenter_mode_toggles_with_p_and_is_remembered(live, new_page):
    page = new_page("/curtain/")
    size = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
    normal = page.evaluate(size)
    page.keyboard.press("p")
    expect(page.locator("body")).to_have_class(PRESENTER)
    assert page.evaluate(size) > normal
    wait_until(lambda: "presenter" in (page.request.get(live.url + "/").text()[:3000]), 5, what="session to remember")
    page.reload()
    page.wait_for_selector("body.is-live")
    expect(page.locator("body")).to_have_class(PRESENTER)
    page.keyboard.press("p")
    expect(page.locator("body")).not_to_have_class(PRESENTER)


def test_a_scenario_runs_with_one_click_and_r_replays_it(fresh, staff_page):
    scenario = curtain.SCENARIO
    page = staff_page("/curtain/")
    page.click("[data-scenario-run]")
    expect(page.locator("[data-scenario-status]")).to_contain_text("Done", timeout=15_000)
    assert lag_row(fresh)[0] == scenario.lag["delay_ms"]
    assert extra_lag(fresh, "slow") == scenario.lag["replica_slow"]
    texts = [t for (t,) in fresh.query("SELECT json_extract(payload, '$.text') FROM store_event ORDER BY id")]
    assert texts[-len(scenario.texts) :] == list(scenario.texts)
    page.keyboard.press("r")
    wait_until(
        lambda: (
            fresh.query("SELECT count(*) FROM store_event WHERE stream = 'curtain'")[0][0]
            == 3 + 2 * len(scenario.texts)
        ),
        timeout=15,
        what="the replay's writes",
    )
    expect(page.locator("[data-scenario-status]")).to_contain_text("Done", timeout=15_000)


def test_the_curtain_timeline_draws_each_write_live_and_records_when_it_was_seen(fresh, new_page):
    fresh.lag(delay_ms=500, replica_lag="slow=700")
    page = new_page("/curtain/")
    page.evaluate("window.__notReloaded = true")
    page.fill("[data-write-form] input[type=text]", "draw my lane")
    page.click("[data-write-form] button")
    key = wait_until(
        lambda: fresh.query("SELECT key FROM store_event WHERE json_extract(payload, '$.text') = 'draw my lane'"),
        what="the write",
    )[0][0]
    lane = page.locator(f'#timeline [data-lane="{key}"]')
    expect(lane).to_be_visible(timeout=2000)
    for mark in ("accepted", "pushed", "seen"):
        expect(lane.locator(f'[data-mark="{mark}"]')).to_have_count(1, timeout=5000)
    for replica in ("fast", "slow"):
        expect(lane.locator(f'[data-replica="{replica}"]')).to_have_count(1, timeout=5000)
    expect(lane.locator("rect.tl-window")).to_have_attribute("data-window-open", "false")
    ms = {
        (g.get_attribute("data-replica") or g.get_attribute("data-mark")): int(g.get_attribute("data-ms"))
        for g in lane.locator("[data-mark]").all()
    }
    # Seen once a browser showed it settled: by whichever replica applied it first (at this lag
    # "arrival", "fast" and "medium" apply within a millisecond or two of each other).
    first_apply = min(at for name, at in ms.items() if name not in ("submitted", "accepted", "pushed", "seen"))
    assert ms["accepted"] <= ms["fast"] <= ms["slow"] and first_apply <= ms["seen"]
    assert 450 <= ms["fast"] < 2000 and 1150 <= ms["slow"] < 3000
    assert fresh.query("SELECT seen_at IS NOT NULL FROM store_event WHERE key = ?", (key,)) == [(1,)]
    assert page.evaluate("window.__notReloaded") is True


def test_the_rate_limit_answers_with_its_message(live, fresh, new_page):
    limit = int(live.stack.env().get("RATELIMIT_WRITES", "10"))
    page = new_page("/curtain/")
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    for i in range(limit):
        response = page.request.post(
            live.url + "/write/curtain/",
            form={"text": f"burst {i}", "key": secrets.token_hex(8)},
            headers={"X-CSRFToken": token, "HX-Request": "true"},
        )
        assert response.status == 202, response.text()
    page.fill("[data-write-form] input[type=text]", "one too many")
    page.click("[data-write-form] button")
    alert = page.locator("[data-write-form] [role=alert]")
    expect(alert).to_contain_text(f"Slow down: at most {limit} writes")
    expect(page.locator("[data-write-form] input[type=text]")).to_have_value("one too many")
    # Another phone behind the same address is not affected.
    other = new_page("/curtain/")
    other.fill("[data-write-form] input[type=text]", "from another phone")
    other.click("[data-write-form] button")
    expect(other.locator("[data-write-form] [role=status]")).to_contain_text("Accepted")


def test_phone_sized_pages_have_no_horizontal_scroll(live, staff_page):
    page = staff_page("/", width=375)
    wide = {}
    for path in ["/", "/curtain/", "/join/", "/control/"]:
        page.goto(live.url + path)
        page.wait_for_selector("body.is-live")
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if scroll > client:
            wide[path] = f"{scroll} > {client} px"
    assert wide == {}


def test_no_page_requests_anything_off_the_machine(live, staff_page):
    page = staff_page("/")
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("websocket", lambda ws: requested.append(ws.url))
    host = urlsplit(live.url).netloc
    for path in ["/", "/curtain/", "/join/", "/control/", f"/demos/{registry.live()[0].slug}/"]:
        page.goto(live.url + path)
        page.wait_for_selector("body.is-live")
        page.wait_for_load_state("networkidle")
    assert any(url.startswith("ws://") for url in requested)
    assert len(requested) > 10
    off = [url for url in requested if urlsplit(url).netloc != host and not url.startswith(("data:", "blob:"))]
    assert off == []
