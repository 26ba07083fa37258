"""An idle page costs nothing: with nothing new, no page of the talk (the index, the curtain, the
demos') sends HTTP requests (its websocket's frames aside). A room of phones multiplies whatever
one idle page asks for."""

import pytest

from bench.idle import SIZES, IdlePages, talk_pages
from tests.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
WINDOW_S = 15  # at most 0.1 requests/s: one request in the window


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_no_idle_page_of_the_talk_sends_more_than_one_request_in_fifteen_seconds(fresh, browser, size):
    paths = talk_pages(fresh.url)
    assert {"/", "/curtain/", "/demos/baseball/", "/demos/monotonic-reads/"} <= set(paths)
    pages = IdlePages(browser, fresh.url, paths, SIZES[size])
    try:
        # Loaded and settled: every page's first reads are done (a page that polls never is).
        wait_until(lambda: pages.quiet_for(3), 60, interval=0, what="every page to stop sending requests")
        sent = pages.count(WINDOW_S)
    finally:
        pages.close()
    busy = {path: requests for path, requests in sent.items() if len(requests) > 1}
    assert busy == {}
