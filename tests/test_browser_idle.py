"""An idle page costs nothing: with nothing new, no demo page sends HTTP requests (its
websocket's frames aside). A room of phones multiplies whatever one idle page asks for."""

import pytest

from bench.idle import SIZES, IdlePages, demo_pages
from tests.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
WINDOW_S = 15  # at most 0.1 requests/s: one request in the window


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_no_idle_demo_page_sends_more_than_one_request_in_fifteen_seconds(fresh, browser, size):
    paths = demo_pages(fresh.url)
    assert "/demos/baseball/" in paths and "/demos/monotonic-reads/" in paths
    pages = IdlePages(browser, fresh.url, paths, SIZES[size])
    try:
        # Loaded and settled: every page's first reads are done (a page that polls never is).
        wait_until(lambda: pages.quiet_for(3), 60, interval=0, what="every page to stop sending requests")
        sent = pages.count(WINDOW_S)
    finally:
        pages.close()
    busy = {path: requests for path, requests in sent.items() if len(requests) > 1}
    assert busy == {}
