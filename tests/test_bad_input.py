"""Bad input at every entry point: a clear message or a clean refusal, never a 500, and
nothing half-written."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import path

from push.consumers import LiveConsumer
from store import data, lag
from store.models import Event, LagSettings
from tests import factories
from tests.factories import staff_client

pytestmark = pytest.mark.django_db

WRITE_URLS = ["/write/curtain/", "/demos/optimistic/write/", "/demos/pending/write/", "/demos/push/write/"]
TEXTS = {
    "empty": ("", "Write something first"),
    "whitespace only": (" \t\n  ", "Write something first"),
    "10 KB": ("x" * 10_240, "Keep it to 140 characters"),
    "NUL": ("before\x00after", "Plain text only"),
    "right-to-left override": ("invoice\u202egnp.exe", "Plain text only"),
}
# Accepted, and shown as text: never as markup, htmx attributes or template code.
INERT = {
    "emoji with joiners": "👩‍👩‍👧‍👦 family, 🏳️‍🌈 flag",
    "markup": "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "hx attributes": '<div hx-get="/admin/" hx-trigger="load">x</div>',
    "template syntax": "{{ request.session }} {% csrf_token %} {# x #}",
}
KEYS = {
    "non-ASCII key": "café",
    "over-long key": "k" * 65,
    "spaces in key": "two words",
    "markup key": "<b>",
}


@pytest.fixture(autouse=True)
def replicas(settings, redis_server):
    settings.REDIS_URL = redis_server
    settings.RATELIMIT_WRITES = 1000
    data.ensure_replicas()


def page_client(url: str) -> Client:
    client = Client()
    client.get(url.removesuffix("write/") if url.startswith("/demos/") else "/curtain/")
    return client


@pytest.mark.parametrize("url", WRITE_URLS)
@pytest.mark.parametrize("case", TEXTS, ids=list(TEXTS))
def test_bad_text_is_refused_with_a_clear_message_and_nothing_written(url, case):
    text, message = TEXTS[case]
    before = Event.objects.count()
    response = page_client(url).post(url, {"text": text, "key": factories.key()}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Event.objects.count() == before


@pytest.mark.parametrize("url", WRITE_URLS)
@pytest.mark.parametrize("case", INERT, ids=list(INERT))
def test_odd_but_harmless_text_is_kept_and_shown_as_text(url, case):
    text = INERT[case]
    key = factories.key()
    response = page_client(url).post(url, {"text": text, "key": key}, HTTP_HX_REQUEST="true")
    assert response.status_code == 202
    assert Event.objects.get(key=key).text == " ".join(text.split())
    body = Client().get("/curtain/").content.decode()
    assert "<script>alert(1)" not in body and '<div hx-get="/admin/"' not in body
    assert "{% csrf_token %}" in body or case != "template syntax"


@pytest.mark.parametrize("url", WRITE_URLS)
@pytest.mark.parametrize("case", KEYS, ids=list(KEYS))
def test_a_malformed_key_is_refused_and_nothing_written(url, case):
    before = Event.objects.count()
    response = page_client(url).post(url, {"text": "hello", "key": KEYS[case]}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "idempotency key" in response.content.decode()
    assert Event.objects.count() == before


@pytest.mark.parametrize("url", WRITE_URLS)
def test_the_same_key_with_another_payload_is_a_conflict(url):
    client, key = page_client(url), factories.key()
    assert client.post(url, {"text": "first", "key": key}).status_code == 202
    response = client.post(url, {"text": "second", "key": key}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "already used" in response.content.decode()
    assert Event.objects.get(key=key).text == "first"


@pytest.mark.parametrize("url", [*WRITE_URLS, "/seen/", "/control/lag/", "/presenter/"])
def test_a_post_without_csrf_is_refused(url):
    before = Event.objects.count()
    assert Client(enforce_csrf_checks=True).post(url, {"text": "hi", "key": factories.key()}).status_code == 403
    assert Event.objects.count() == before


@pytest.mark.parametrize(
    "value", ["-1", "1e9", "NaN", "nan", "inf", "-inf", "text", "", "1" * 400], ids=lambda v: v[:12] or "empty"
)
@pytest.mark.parametrize("field", ["delay_ms", "jitter_ms", "failure_rate", "replica_slow"])
def test_bad_lag_in_the_control_panel_is_refused_and_changes_nothing(field, value):
    before = LagSettings.load()
    response = staff_client().post("/control/lag/", {field: value}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "Nothing changed" in response.content.decode()
    after = LagSettings.load()
    assert (after.delay_ms, after.jitter_ms, after.failure_rate) == (
        before.delay_ms,
        before.jitter_ms,
        before.failure_rate,
    )


@pytest.mark.parametrize("value", ["-1", "1e9", "NaN", "inf", "text"])
@pytest.mark.parametrize("field", ["delay_ms", "jitter_ms", "failure_rate"])
def test_bad_lag_in_the_admin_is_refused_and_changes_nothing(field, value):
    admin = get_user_model().objects.create_superuser(f"boss-{factories.key()[:6]}", "b@localhost", "pw-long-enough-1")
    client = Client()
    client.force_login(admin)
    before = LagSettings.load()
    form = {"delay_ms": before.delay_ms, "jitter_ms": before.jitter_ms, "failure_rate": before.failure_rate}
    response = client.post("/admin/store/lagsettings/1/change/", {**form, field: value})
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert getattr(LagSettings.load(), field) == getattr(before, field)


@pytest.mark.parametrize(
    "query", ["?key=%00", "?key=caf%C3%A9", "?key=" + "k" * 5000, "?strategy=%3Cscript%3E", "?strategy=%00"]
)
@pytest.mark.parametrize("url", ["/demos/optimistic/naive/", "/demos/read-your-writes/", "/demos/push/naive/", "/"])
def test_odd_query_strings_never_break_a_page(url, query):
    response = Client().get(url + query)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("</head>", 1)[-1]


@pytest.mark.parametrize("key", ["café", "k" * 65, "a%00b"])
def test_an_order_with_an_odd_key_is_not_found_cleanly(key):
    assert Client().get(f"/demos/pending/order/{key}/").status_code == 404


app = AllowedHostsOriginValidator(URLRouter([path("ws/live/", LiveConsumer.as_asgi())]))


@pytest.mark.parametrize(
    "query, origin",
    [
        ("g=curtain", b"http://evil.example"),
        ("g=" + "x" * 10_000, b"http://localhost"),
        ("g=%00&g=session.abc", b"http://localhost"),
    ],
    ids=["foreign origin", "huge group name", "NUL and a session group"],
)
@pytest.mark.django_db(transaction=True)
def test_the_websocket_refuses_or_ignores_bad_connects(query, origin):
    async def run():
        comm = WebsocketCommunicator(app, f"/ws/live/?{query}", headers=[(b"origin", origin)])
        connected, _ = await comm.connect()
        if origin != b"http://localhost":
            assert not connected
            return
        assert connected
        assert "data-lag-badge" in await comm.receive_from()
        assert await comm.receive_nothing(timeout=0.3)  # only the badge: no other group was joined
        await comm.disconnect()

    async_to_sync(run)()


@pytest.mark.django_db(transaction=True)
def test_a_2_mb_websocket_frame_is_ignored_and_the_socket_keeps_working():
    async def run():
        comm = WebsocketCommunicator(app, "/ws/live/?g=curtain", headers=[(b"origin", b"http://localhost")])
        await comm.connect()
        while 'id="timeline"' not in await comm.receive_from():
            pass  # the snapshot
        await comm.send_to(text_data="x" * (2 * 1024 * 1024))
        await comm.send_to(bytes_data=b"\x00" * 1024)
        await database_sync_to_async(lag.update)({"delay_ms": 1234})
        while "data-lag-badge" not in (message := await comm.receive_from(timeout=5)):
            pass
        assert "1.234 s" in message
        await comm.disconnect()

    async_to_sync(run)()


@pytest.mark.parametrize(
    "url, data, place, says",
    [
        ("/demos/conflicts/edit/", {"key": "k1", "text": ""}, "edit", "Write something first"),
        ("/demos/conflicts/edit/", {"key": "k2", "text": ["a", "b", "c"]}, "edit", "Send one text, or 2 to race"),
        ("/demos/conflicts/edit/", {"key": "k3", "text": "x", "base_trick": "seven"}, "edit", "Enter a whole number"),
        ("/demos/conflicts/resolve/", {"key": "k4", "choice": "mine", "mine": "x"}, "resolve", "Which version"),
        ("/demos/conflicts/resolve/", {"key": "k5", "choice": "bogus"}, "resolve", "Select a valid choice"),
        ("/demos/conflicts/buy/", {"key": "k6", "text": " , ,"}, "", "Who buys?"),
        ("/demos/conflicts/buy/", {"key": "k7", "text": "a,b,c,d,e,f,g"}, "", "At most 6 buyers"),
    ],
)
def test_a_refused_control_answers_its_status_and_an_alert_beside_it(url, data, place, says):
    """One shape for every refusal: the status, and the message in the control's own alert
    (swapped in out of band where the control's answer swaps nothing else)."""
    data_before = Event.objects.count()
    response = Client().post(url, data)
    body = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in body and says in body
    if place:
        assert f'id="refusal-{place}"' in body and 'hx-swap-oob="true"' in body
    assert Event.objects.count() == data_before
