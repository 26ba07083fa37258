"""The per-session write limit, shared by every web process through Redis."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory

from demos import ratelimit
from store import data
from store.models import Event
from tests import factories
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db


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


def test_without_redis_the_limit_lets_writes_through(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    request = RequestFactory().post("/write/curtain/")
    request.session = SessionStore()
    assert ratelimit.check(request) is None
