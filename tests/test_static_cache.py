"""Static files a room fetches once (showcase/static.py): each URL carries its file's digest and
is fresh for a year; a phone moving to the next demo asks the server for the page alone."""

import hashlib
import urllib.request
from pathlib import Path

import pytest
from django.templatetags.static import static

from tests.helpers import NetworkLog

APP_JS = Path(__file__).resolve().parent.parent / "static" / "showcase" / "app.js"


def test_a_static_url_carries_the_digest_of_its_file():
    digest = hashlib.sha256(APP_JS.read_bytes()).hexdigest()[:10]
    assert static("showcase/app.js") == f"/static/showcase/app.js?v={digest}"


def test_a_static_url_changes_when_its_file_does(tmp_path, settings):
    (tmp_path / "room-check.js").write_text("one")
    settings.STATICFILES_DIRS = [tmp_path]
    before = static("room-check.js")
    (tmp_path / "room-check.js").write_text("two!")
    assert static("room-check.js") != before


def cache_control(url: str) -> str:
    with urllib.request.urlopen(url) as answer:
        return answer.headers.get("Cache-Control", "")


def test_a_file_asked_for_by_its_digest_is_fresh_for_a_year_and_by_any_other_is_revalidated(live):
    current = live.url + static("showcase/app.js")
    assert cache_control(current) == "public, max-age=31536000, immutable"
    assert cache_control(current.split("?")[0]) == "no-cache"
    assert cache_control(current.split("?")[0] + "?v=0123456789") == "no-cache"


@pytest.mark.browser
def test_a_phone_moving_to_another_demo_asks_the_server_for_the_page_alone(fresh, new_page):
    phone = new_page("/join/", width=390, height=800)
    network = NetworkLog(phone)
    for path in ["/demos/push/", "/demos/optimistic/"]:
        phone.goto(fresh.url + path)
        phone.wait_for_selector("body.is-live")
    network.clear()
    phone.goto(fresh.url + "/demos/push/")
    phone.wait_for_selector("body.is-live")
    asked = network.requests()
    assert [url for _, url, kind in asked if kind == "Document"] == [fresh.url + "/demos/push/"]
    assert not [url for _, url, _ in asked if "/static/" in url], asked
