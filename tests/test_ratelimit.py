"""The per-session write limit, shared by every web process through Redis."""

import secrets

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory

from demos import ratelimit
from store import data
from store.models import Event
from tests import factories
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db


def random_address() -> str:
    """Windows live in the shared Redis: each test's venue has an address of its own."""
    return "10." + ".".join(str(secrets.randbelow(256)) for _ in range(3))


@pytest.fixture(autouse=True)
def replicas(settings, redis_server):
    settings.REDIS_URL = redis_server
    data.ensure_replicas()


def test_writes_beyond_the_limit_get_429_with_a_message(settings):
    settings.RATELIMIT_WRITES, settings.RATELIMIT_WINDOW_S = 3, 60
    client = Client()
    for i in range(3):
        assert client.post("/write/curtain/", {"text": f"w{i}", "key": factories.key()}).status_code == 202
    response = client.post("/write/curtain/", {"text": "one too many", "key": factories.key()}, HTTP_HX_REQUEST="true")
    assert response.status_code == 429
    body = response.content.decode()
    assert "Slow down: at most 3 writes every 60 s" in body and 'role="alert"' in body
    assert "one too many" in body  # the text stays in the form, to send again later
    assert not Event.objects.filter(payload__text="one too many").exists()
    # Per session, not per address: another phone behind the same NAT still writes.
    assert Client().post("/write/curtain/", {"text": "other phone", "key": factories.key()}).status_code == 202


def test_a_new_window_lets_writes_through_again(settings):
    name = f"window-test-{factories.key()}"
    assert ratelimit.hit(name, 1, 1)[0] == 1
    assert ratelimit.hit(name, 1, 1)[0] == 2
    wait_until(lambda: ratelimit.hit(name, 1, 1)[0] == 1, timeout=4, interval=0.2, what="the window to end")


def test_without_redis_the_limit_still_holds_in_this_process(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.RATELIMIT_WRITES = 2
    session = SessionStore()
    session.create()

    def check():
        request = RequestFactory().post("/write/curtain/")
        request.session = session
        return ratelimit.check(request)

    assert check() is None and check() is None
    assert "Slow down" in check()


def test_dropping_the_session_cookie_does_not_mint_unlimited_sessions(settings):
    """Each cookie-less write would make a new session: they are counted per address instead."""
    settings.RATELIMIT_NEW_SESSIONS = 5
    venue = random_address()
    csrf_only = Client(REMOTE_ADDR=venue)
    statuses = []
    for i in range(8):
        csrf_only.cookies.pop("sessionid", None)
        statuses.append(csrf_only.post("/write/curtain/", {"text": f"flood {i}", "key": factories.key()}).status_code)
    assert statuses == [202] * 5 + [429] * 3
    # A phone that opened the page first, behind the same address, still writes.
    phone = Client(REMOTE_ADDR=venue)
    phone.get("/curtain/")
    assert phone.post("/write/curtain/", {"text": "from a real phone", "key": factories.key()}).status_code == 202


def test_one_address_has_a_ceiling_high_enough_for_a_venue(settings):
    settings.RATELIMIT_ADDRESS_WRITES, settings.RATELIMIT_WINDOW_S = 6, 60
    venue = random_address()
    phones = [Client(REMOTE_ADDR=venue) for _ in range(4)]
    for phone in phones:
        phone.get("/curtain/")
    statuses = [
        phones[i % 4].post("/write/curtain/", {"text": f"w{i}", "key": factories.key()}).status_code for i in range(8)
    ]
    assert statuses == [202] * 6 + [429] * 2
    assert (
        "writing too fast" in phones[0].post("/write/curtain/", {"text": "x", "key": factories.key()}).content.decode()
    )
    other = Client(REMOTE_ADDR=random_address())
    other.get("/curtain/")
    assert other.post("/write/curtain/", {"text": "another venue", "key": factories.key()}).status_code == 202
