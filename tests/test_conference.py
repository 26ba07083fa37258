"""Unit tests of conference mode: control panel, presets, scenarios, join URL and QR code,
and the websocket origin check on the LAN."""

import io
import re
import runpy
import socket
from pathlib import Path

import pytest
import segno
import zxingcpp
from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory, override_settings
from PIL import Image

from conference import join, scenarios
from conference.forms import LagForm
from conference.presets import PRESETS
from conference.templatetags.conference import neighbours, walk
from demos import curtain, registry
from store import data
from store.models import Event, LagSettings, Replica
from tests import factories
from tests.factories import staff_client

pytestmark = pytest.mark.django_db

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "showcase" / "settings.py"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def replicas(settings, redis_server):
    settings.REDIS_URL = redis_server
    data.ensure_replicas()


def lag_now() -> dict:
    lag = LagSettings.load()
    return {
        "delay_ms": lag.delay_ms,
        "jitter_ms": lag.jitter_ms,
        "failure_rate": lag.failure_rate,
        "paused": lag.paused,
        "slow": Replica.objects.get(pk="slow").extra_lag_ms,
    }


# ---- Control panel


def test_control_panel_sends_anyone_but_staff_to_log_in(client):
    response = client.get("/control/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/control/")


@pytest.mark.parametrize(
    "path, data",
    [
        ("/control/lag/", {"delay_ms": 12345}),
        ("/control/lag/", {"paused": "1"}),
        ("/control/preset/", {"preset": "bad-wifi"}),
        ("/control/reset/", {}),
    ],
)
def test_a_post_by_a_logged_in_non_staff_user_changes_nothing(path, data):
    factories.write("keep me")
    user = get_user_model().objects.create_user("someone", password="x")
    client = Client()
    client.force_login(user)
    before = lag_now()
    response = client.post(path, data)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert lag_now() == before
    assert Event.objects.filter(payload__text="keep me").exists()


def test_an_htmx_post_by_a_stranger_is_told_to_log_in():
    response = Client().post("/control/lag/", {"delay_ms": 5}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # django-htmx HttpResponseClientRedirect: htmx navigates before any swap
    assert response["HX-Redirect"].startswith("/admin/login/")
    assert LagSettings.load().delay_ms != 5


def test_staff_see_the_panel_with_sliders_presets_and_reset():
    body = staff_client().get("/control/").content.decode()
    for name in ("delay_ms", "jitter_ms", "failure_rate", "replica_fast", "replica_slow"):
        assert f'name="{name}"' in body
    for preset in PRESETS:
        assert f'data-preset="{preset.slug}"' in body
    assert 'data-control="reset"' in body and 'data-control="partition"' in body
    assert 'name="csrfmiddlewaretoken"' in body


def test_a_plain_post_changes_the_lag_and_redirects_back_to_the_panel():
    client = staff_client()
    response = client.post("/control/lag/", {"delay_ms": 2500, "jitter_ms": 100, "replica_slow": 4000})
    assert response.status_code == 302 and response["Location"] == "/control/"
    assert lag_now() | {"failure_rate": None, "paused": None} == {
        "delay_ms": 2500,
        "jitter_ms": 100,
        "failure_rate": None,
        "paused": None,
        "slow": 4000,
    }
    assert "Saved." in client.get("/control/").content.decode()


def test_an_htmx_post_answers_with_the_panel_alone():
    response = staff_client().post("/control/lag/", {"delay_ms": 1500}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="control-panel"') and "<html" not in body
    assert "Saved." in body and LagSettings.load().delay_ms == 1500


def test_a_partial_change_leaves_the_other_settings_alone():
    factories.lag(delay_ms=700, jitter_ms=300, failure_rate=0.1)
    client = staff_client()
    client.post("/control/lag/", {"paused": "1"})
    lag = LagSettings.load()
    assert (lag.paused, lag.delay_ms, lag.jitter_ms, lag.failure_rate) == (True, 700, 300, 0.1)
    client.post("/control/lag/", {"paused": "0"})
    assert LagSettings.load().paused is False


@pytest.mark.parametrize(
    "data, message",
    [
        ({"delay_ms": 30_001}, "less than or equal to 30000"),
        ({"delay_ms": -1}, "greater than or equal to 0"),
        ({"jitter_ms": 10_001}, "less than or equal to 10000"),
        ({"failure_rate": 1.5}, "less than or equal to 1"),
        ({"delay_ms": "soon"}, "Enter a whole number"),
        ({"delay_ms": 100, "replica_slow": 99_999}, "less than or equal to 30000"),
        ({}, "Nothing to change"),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_out_of_range_is_refused_with_a_clear_message_and_nothing_changes(data, message, htmx):
    factories.lag(delay_ms=700)
    before = lag_now()
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = staff_client().post("/control/lag/", data, **headers)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert lag_now() == before


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.slug)
def test_presets_apply_their_values(preset):
    factories.lag(delay_ms=12_345, jitter_ms=1, failure_rate=0.5, paused=False)
    response = staff_client().post("/control/preset/", {"preset": preset.slug}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    lag = LagSettings.load()
    for name, value in preset.changes.items():
        assert getattr(lag, name) == value
    for name, value in preset.replica_lag.items():
        assert Replica.objects.get(pk=name).extra_lag_ms == value
    assert re.search(rf'data-preset="{preset.slug}"\s+class="preset preset--active"', response.content.decode())


def test_an_unknown_preset_changes_nothing():
    before = lag_now()
    response = staff_client().post("/control/preset/", {"preset": "dial-up"})
    assert response.status_code == 400 and "Unknown preset" in response.content.decode()
    assert lag_now() == before


def test_reset_empties_the_log_and_seeds_the_examples():
    factories.write("a write from the audience")
    response = staff_client().post("/control/reset/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert not Event.objects.filter(payload__text="a write from the audience").exists()
    assert Event.objects.count() == sum(len(texts) for texts in curtain.examples().values())
    # Every replica's watermark is at the newest example it holds: all of them are applied.
    for replica in Replica.objects.all():
        newest = replica.deliveries.order_by("-event_id").values_list("event_id", flat=True).first()
        assert replica.checkpoint == newest, replica.name


def test_the_control_panel_needs_a_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.create_user("p2", password="x", is_staff=True))
    assert client.post("/control/lag/", {"delay_ms": 5}).status_code == 403
    assert LagSettings.load().delay_ms != 5


# ---- Scenarios, presenter mode and the keyboard walk


def test_every_demo_and_the_curtain_has_a_scenario_whose_lag_the_panel_accepts():
    assert set(curtain.scenarios()) == {curtain.STREAM, *(d.slug for d in registry.live())}
    for slug, scenario in curtain.scenarios().items():
        form = LagForm({k: str(v) for k, v in scenario.as_data(slug)["lag"].items()})
        assert form.is_valid(), (slug, form.errors)
        assert all(0 < len(t) <= 140 for t in scenario.texts)  # none: the page scripts its own steps


def test_scenario_button_is_for_staff_only():
    assert "data-scenario-run" not in Client().get("/curtain/").content.decode()
    body = staff_client().get("/curtain/").content.decode()
    assert "data-scenario-run" in body and 'id="scenario-data"' in body
    assert curtain.SCENARIO.title in body


def test_arrow_keys_walk_index_curtain_then_demos_in_catalog_order():
    assert walk() == ["/", "/curtain/", *(f"/demos/{d.slug}/" for d in registry.demos())]
    DEMOS = registry.demos()
    assert neighbours("/") == (None, "/curtain/")
    assert neighbours("/curtain/") == ("/", f"/demos/{DEMOS[0].slug}/")
    assert neighbours(f"/demos/{DEMOS[-1].slug}/") == (f"/demos/{DEMOS[-2].slug}/", None)
    assert neighbours("/control/") == (None, None)
    body = Client().get("/curtain/").content.decode()
    assert '<link rel="prev" href="/">' in body and f'<link rel="next" href="/demos/{DEMOS[0].slug}/">' in body


def test_presenter_mode_is_remembered_in_the_session(client):
    assert 'class="presenter' not in client.get("/").content.decode()
    assert client.post("/presenter/", {"on": "1"}, HTTP_HX_REQUEST="true").status_code == 204
    assert 'class="presenter ' in client.get("/").content.decode()
    response = client.post("/presenter/", {"on": "0", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert 'class="presenter' not in client.get("/").content.decode()


# ---- Join page, QR code and the LAN


def settings_when_serving_the_lan(monkeypatch) -> dict:
    """Run showcase/settings.py as `HOST=0.0.0.0 make demo` would, on a machine at 192.168.1.23."""

    class NoRoute:
        def __init__(self, *args):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

        def connect(self, address):
            raise OSError("no route")

    with monkeypatch.context() as patch:
        patch.setenv("HOST", "0.0.0.0")
        patch.delenv("ALLOWED_HOSTS", raising=False)
        patch.setattr(socket, "gethostname", lambda: "stage-laptop")
        patch.setattr(socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("192.168.1.23", 0))])
        patch.setattr(socket, "socket", NoRoute)
        return runpy.run_path(str(SETTINGS_FILE))


def test_join_url_is_the_lan_address_when_serving_the_lan(monkeypatch):
    lan = settings_when_serving_the_lan(monkeypatch)
    assert "192.168.1.23" in lan["ALLOWED_HOSTS"]
    with override_settings(HOST="0.0.0.0", PORT=8000, ALLOWED_HOSTS=lan["ALLOWED_HOSTS"]):
        request = RequestFactory().get("/join/", HTTP_HOST="127.0.0.1:8000")
        assert join.join_url(request) == "http://192.168.1.23:8000/"
        # Opened through the LAN address already: keep it.
        request = RequestFactory().get("/join/", HTTP_HOST="192.168.1.23:8000")
        assert join.join_url(request) == "http://192.168.1.23:8000/"
        body = Client().get("/join/", HTTP_HOST="localhost:8000").content.decode()
        assert "http://192.168.1.23:8000/" in body and "only works on this machine" not in body


def test_join_url_is_this_address_when_serving_only_this_machine():
    with override_settings(HOST="127.0.0.1", PORT=8000, ALLOWED_HOSTS=["127.0.0.1"]):
        response = Client().get("/join/", HTTP_HOST="127.0.0.1:8000")
        assert "http://127.0.0.1:8000/" in response.content.decode()
        assert "HOST=0.0.0.0 make demo" in response.content.decode()


def test_join_url_asked_on_the_presenters_own_process_is_the_audiences_address(monkeypatch):
    """The stage process listens on loopback at STAGE_PORT; its join page advertises PORT."""
    lan = settings_when_serving_the_lan(monkeypatch)

    def on_stage(host: str = "127.0.0.1:8001") -> str:
        return join.join_url(RequestFactory().get("/join/", HTTP_HOST=host, SERVER_PORT="8001"))

    with override_settings(HOST="0.0.0.0", PORT=8000, STAGE_PORT=8001, ALLOWED_HOSTS=lan["ALLOWED_HOSTS"]):
        assert on_stage() == on_stage("localhost:8001") == "http://192.168.1.23:8000/"
        # The audience's port itself is unchanged: the address it was opened with.
        assert join.join_url(RequestFactory().get("/", HTTP_HOST="192.168.1.23:8000", SERVER_PORT="8000")) == (
            "http://192.168.1.23:8000/"
        )
    with override_settings(HOST="10.0.0.5", PORT=8000, STAGE_PORT=8001, ALLOWED_HOSTS=["127.0.0.1", "10.0.0.5"]):
        assert on_stage() == "http://10.0.0.5:8000/"
    with override_settings(HOST="127.0.0.1", PORT=8000, STAGE_PORT=8001, ALLOWED_HOSTS=["127.0.0.1"]):
        assert on_stage() == "http://127.0.0.1:8000/"
        body = Client().get("/join/", HTTP_HOST="127.0.0.1:8001", SERVER_PORT="8001").content.decode()
        assert "http://127.0.0.1:8000/" in body and ":8001" not in body
    # Without a stage process, port 8001 is nothing special.
    with override_settings(HOST="127.0.0.1", PORT=8000, STAGE_PORT=0, ALLOWED_HOSTS=["127.0.0.1"]):
        assert on_stage() == "http://127.0.0.1:8001/"


def test_the_websocket_origin_check_accepts_the_lan_address_and_no_other(monkeypatch):
    lan = settings_when_serving_the_lan(monkeypatch)
    assert "*" not in lan["ALLOWED_HOSTS"]

    class Accept(AsyncWebsocketConsumer):
        async def connect(self):
            await self.accept()

    with override_settings(ALLOWED_HOSTS=lan["ALLOWED_HOSTS"], DEBUG=False):
        app = AllowedHostsOriginValidator(Accept.as_asgi())

    async def connects(origin: bytes | None) -> bool:
        headers = [(b"origin", origin)] if origin else []
        comm = WebsocketCommunicator(app, "/ws/live/?g=lag", headers=headers)
        connected, _ = await comm.connect()
        await comm.disconnect()
        return connected

    def check(origin):
        return async_to_sync(connects)(origin)

    assert check(b"http://192.168.1.23:8000")
    assert check(b"http://localhost:8000")
    assert not check(b"http://evil.example:8000")
    assert not check(b"http://192.168.1.23.evil.example")
    assert not check(b"http://192.168.1.24:8000")
    assert not check(None)


def test_the_qr_code_is_inline_svg_that_decodes_to_the_url():
    url = "http://192.168.1.23:8000/"
    svg = join.qr_svg(url)
    assert (
        svg.startswith("<svg")
        and "viewBox" in svg
        and "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    png = io.BytesIO()
    segno.make(url, error="m").save(png, kind="png", scale=8)
    png.seek(0)
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(png))] == [url]


def test_every_demo_page_offers_its_scenario_to_staff():
    client = staff_client()
    for demo in registry.live():
        body = client.get(f"/demos/{demo.slug}/").content.decode()
        assert demo.scenario.title in body, demo.slug
        assert scenarios.for_path(f"/demos/{demo.slug}/")["title"] == demo.scenario.title


def test_every_preset_value_survives_a_round_trip_through_the_sliders():
    """The panel posts all sliders on any change: their steps must not round a preset's values."""
    client = staff_client()
    for preset in PRESETS:
        client.post("/control/preset/", {"preset": preset.slug})
        body = client.get("/control/").content.decode()
        before = lag_now()
        fields = {}
        for name in ("delay_ms", "jitter_ms", "failure_rate", "replica_fast", "replica_slow"):
            tag = re.search(rf'<input type="range"[^>]*name="{name}"[^>]*>', body, re.S).group(0)
            value, step = float(re.search(r'value="([^"]+)"', tag)[1]), float(re.search(r'step="([^"]+)"', tag)[1])
            assert round(value / step, 6) == round(value / step), (preset.slug, name, value, step)
            fields[name] = re.search(r'value="([^"]+)"', tag)[1]
        client.post("/control/lag/", fields)
        assert lag_now() == before, preset.slug
