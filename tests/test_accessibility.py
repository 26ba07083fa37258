"""axe-core (bundled by axe-playwright-python, no network) on every page, in real Chromium against
the real app, as three people see it: at a desk, on the projector in presenter mode, on a phone.
No serious or critical violation anywhere (issue 25)."""

import pytest

from demos import registry
from tests.a11y import log_in_as_presenter, serious_violations
from tests.conftest import staff_login

pytestmark = pytest.mark.browser

STAFF_USER = "a11y-staff"
PAGES = ["/", *(f"/demos/{d.slug}/" for d in registry.live()), "/curtain/", "/control/", "/join/", "/runs/"]
# (viewport, staff session, presenter mode): a phone is the audience's, except on the control panel.
MODES = {
    "desktop": ((1280, 900), True, False),
    "presenter": ((1280, 720), True, True),
    "phone": ((375, 740), False, False),
}


@pytest.fixture(scope="module")
def staff_password(live) -> str:
    return staff_login(live, STAFF_USER)


def audit(page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_selector("body.is-live")
    return [f"{url}: {line}" for line in serious_violations(page)]


@pytest.mark.parametrize("mode", list(MODES))
def test_no_page_has_a_serious_axe_violation(fresh, new_page, staff_password, mode):
    (width, height), staff, presenter = MODES[mode]
    page = new_page("/", width=width, height=height)
    audience = None
    if staff:
        log_in_as_presenter(page, fresh.url, STAFF_USER, staff_password)
        if not presenter:
            token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
            page.request.post(fresh.url + "/presenter/", form={"on": "0"}, headers={"X-CSRFToken": token})
    else:
        audience = page
        page = new_page("/", width=width, height=height)
        log_in_as_presenter(page, fresh.url, STAFF_USER, staff_password)  # for the control panel only
        token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
        page.request.post(fresh.url + "/presenter/", form={"on": "0"}, headers={"X-CSRFToken": token})
    found = []
    for path in PAGES:
        viewer = audience if audience is not None and path != "/control/" else page
        found += audit(viewer, fresh.url + path)
        if presenter:
            assert viewer.locator("body.presenter").count() == 1, f"{path} is not in presenter mode"
    assert not found, f"serious or critical axe-core violations ({mode}):\n" + "\n".join(found)


# WCAG's contrast ratio of two computed colours ("rgb(r, g, b)"), in the page.
CONTRAST_JS = """
([fg, bg]) => {
  const lum = (c) => {
    const [r, g, b] = c.match(/[0-9.]+/g).slice(0, 3).map((v) => {
      v = Number(v) / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}
"""

STATE_WORDS = {"confirmed": ("✓", "confirmed"), "pending": ("…", "pending"), "rejected": ("✗", "rejected")}


def test_states_marks_and_panes_never_rest_on_colour_alone(fresh, new_page, staff_password):
    fresh.lag(failure_rate=1.0)
    refused = fresh.client().write("refused on purpose", stream="optimistic")
    fresh.lag(failure_rate=0)
    fresh.client().write("kept on purpose", stream="optimistic")
    page = new_page("/", width=1280, height=720)
    log_in_as_presenter(page, fresh.url, STAFF_USER, staff_password)
    page.goto(fresh.url + "/demos/optimistic/")
    page.wait_for_selector("body.presenter.is-live")
    lane = page.locator(f'[data-lane][data-position="{refused}"]')
    lane.locator('[data-mark="rejected"]').first.wait_for(state="attached", timeout=15_000)
    # Every item says its state with a symbol and a word (its own, or the ::before's).
    for item in page.locator("[data-item-id]").all():
        state = item.get_attribute("data-state")
        said = item.evaluate("el => getComputedStyle(el, '::before').content + ' ' + el.textContent")
        symbol, word = STATE_WORDS[state]
        assert symbol in said and (word in said or "rolled back" in said), (state, said)
    # Every timeline mark: a symbol and a word in its label, and 3:1 against the projector's panel.
    panel = page.locator(".timeline").evaluate("el => getComputedStyle(el).backgroundColor")
    for mark in page.locator("[data-mark]").all():
        kind = mark.get_attribute("data-mark")
        label = mark.locator("text").text_content()
        assert label.split()[0] in "○◐✓✗➜◉" and (kind in label or kind == "applied" and "applied" in label), label
        fill = mark.locator("circle").evaluate("el => getComputedStyle(el).fill")
        assert page.evaluate(CONTRAST_JS, [fill, panel]) >= 3, (kind, fill, panel)
    # Naive and trick: a label each, and a dashed edge against a solid one.
    naive, trick = page.locator("[data-pane=naive]"), page.locator("[data-pane=trick]")
    assert naive.evaluate("el => getComputedStyle(el).borderTopStyle") == "dashed"
    assert trick.evaluate("el => getComputedStyle(el).borderTopStyle") == "solid"
    assert "naive" in naive.locator("h2").text_content() and "trick" in trick.locator("h2").text_content()


def test_pushed_updates_are_summed_up_politely_for_screen_readers(fresh, new_page):
    page = new_page("/demos/push/")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.evaluate(
        """() => {
          window.__said = [];
          const region = document.querySelector('[data-announcer][aria-live=polite]');
          new MutationObserver(() => window.__said.push(region.textContent)).observe(region, {childList: true});
        }"""
    )
    fresh.lag(pause=True)  # the three writes queue up and arrive together on heal
    for n in range(3):
        fresh.client().write(f"announced {n}", stream="push")
    fresh.lag(heal=True)
    page.wait_for_function("() => window.__said.join(' ').includes('new item')", timeout=15_000)
    page.wait_for_function(
        """() => window.__said.reduce(
          (n, said) => n + Number((said.match(/(\\d+) new item/) || [0, 0])[1]), 0) >= 3""",
        timeout=15_000,
    )
    said = page.evaluate("window.__said")
    assert len(said) < 3, f"one sentence per push is not a summary: {said}"


def test_keyboard_focus_shows_and_reduced_motion_stops_the_spinner(fresh, new_page):
    page = new_page("/demos/optimistic/")
    page.emulate_media(reduced_motion="reduce")
    reached = 0
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break  # past the last stop
        reached += 1
        style = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; })()"
        )
        assert style[0] != "none" and style[1] != "0px", (
            page.evaluate("document.activeElement.outerHTML.slice(0, 80)"),
            style,
        )
    assert reached >= 8  # the header's links, the form, the timeline and code regions
    spinner = page.evaluate(
        "(() => { const s = document.createElement('span'); s.className = 'spinner'; document.body.append(s);"
        " return getComputedStyle(s).animationName; })()"
    )
    assert spinner == "none"
