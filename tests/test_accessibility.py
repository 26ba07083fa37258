"""axe-core (bundled by axe-playwright-python, no network) on every page, in real Chromium against
the real app, as three people see it: at a desk, on the projector in presenter mode, on a phone.
No serious or critical violation anywhere (issue 25)."""

import pytest

from demos import registry
from tests.a11y import log_in_as_presenter, serious_violations
from tests.conftest import staff_login

pytestmark = pytest.mark.browser

STAFF_USER = "a11y-staff"
PAGES = ["/", *(f"/demos/{d.slug}/" for d in registry.live()), "/curtain/", "/control/", "/join/"]
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
