"""The presenter's own web process (`stage`, showcase/stack.py): the same app on loopback at a
port of its own, so the room's sockets and the pushes to them never share its event loop. The
presenter does everything there; phones on the audience's processes still follow the projector,
and the join page shown there advertises the audience's address."""

import signal
import urllib.parse
import urllib.request

import pytest
import websockets.sync.client

from conference.join import qr_svg
from showcase.stack import Stack
from tests.conftest import staff_login, wait_until
from tests.live import HttpClient, start_live

pytestmark = pytest.mark.integration

DEMO = "/demos/push/"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = start_live(tmp_path_factory.mktemp("stage"), supervised=True, stage=True, WEB_PROCESSES="2")
    app.password = staff_login(app, "presenter")
    yield app
    app.stack.stop()


def login(app, base: str) -> HttpClient:
    """A staff session, logged in through the admin's form on `base`."""
    password = app.password
    client = HttpClient(base)
    client.get("/admin/login/")
    fields = {"username": "presenter", "password": password, "next": "/", "csrfmiddlewaretoken": client.csrf()}
    status, _, _ = client.post("/admin/login/", fields, {"Origin": base})
    assert status == 200  # the redirect to "/", followed
    return client


def on(client: HttpClient, base: str) -> HttpClient:
    """The same browser (its cookie jar) talking to another port of the same host."""
    other = HttpClient(base)
    other.jar = client.jar
    other.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(client.jar))
    return other


def sees_the_panel(client: HttpClient) -> bool:
    """The control panel itself, not the login page a stranger is sent to."""
    status, body = client.get("/control/")
    return status == 200 and "/admin/store/lagsettings/" in body


def healthy(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
        return response.status == 200


def test_the_stage_is_a_web_process_of_its_own_on_loopback(app):
    stage = urllib.parse.urlsplit(app.stage_url)
    assert stage.hostname == "127.0.0.1" and stage.port not in (None, app.stack.port)
    assert {"web", "web2", "stage"} <= set(app.stack.procs)
    assert healthy(app.stage_url)
    assert (app.stack.log_dir / "stage.log").exists()
    names = ["redis", "worker", "stage", "sweeper", "web", "web2"]
    assert Stack().stop_order(names) == ["stage", "web", "web2", "sweeper", "worker", "redis"]


def test_a_staff_login_on_either_port_holds_on_the_other(app):
    on_stage = login(app, app.stage_url)
    assert sees_the_panel(on_stage) and sees_the_panel(on(on_stage, app.url))
    assert sees_the_panel(on(login(app, app.url), app.stage_url))
    assert not sees_the_panel(HttpClient(app.stage_url))  # no login, no panel


def test_same_origin_posts_on_the_stage_pass_the_csrf_check_and_others_do_not(app):
    presenter = login(app, app.stage_url)
    assert presenter.post("/presenter/", {"on": "1"}, {"Origin": app.stage_url})[0] == 204
    assert presenter.post("/presenter/", {"on": "1"}, {"Origin": "http://elsewhere.example"})[0] == 403


def test_a_phone_on_the_audience_port_follows_the_projector_on_the_stage(app):
    presenter = login(app, app.stage_url)
    assert presenter.post("/presenter/", {"on": "1"}, {"Origin": app.stage_url})[0] == 204
    phone = HttpClient(app.url)
    assert phone.get("/join/")[0] == 200  # joining follows
    cookie = "; ".join(f"{c.name}={c.value}" for c in phone.jar)
    host = app.url.split("//", 1)[1]
    with websockets.sync.client.connect(
        f"ws://{host}/ws/live/?g=follow", origin=app.url, additional_headers={"Cookie": cookie}
    ) as ws:
        frames: list[str] = []

        def heard(text: str) -> bool:
            frames.append(ws.recv(timeout=10))
            return text in frames[-1]

        wait_until(lambda: heard('id="follow-at"'), timeout=15, what="the phone's follow marker")
        for path in ("/demos/optimistic/", DEMO):  # the second is news whatever the first found
            assert presenter.post("/follow/lead/", {"path": path}, {"Origin": app.stage_url})[0] == 204
        wait_until(lambda: heard(f'data-follow-path="{DEMO}"'), timeout=15, what="the phone told to follow")
    # The page pushed with the news, rendered once for the room on the stage: nothing in it
    # points a phone at the stage.
    assert any(f.startswith(f"<!--follow-page {DEMO} ") for f in frames), [f[:80] for f in frames]
    assert not [f for f in frames if f":{app.stack.stage_port}" in f]
    # Announced from the stage, heard on the audience's processes: through Redis, not a process.
    assert "/follow/lead/" in (app.stack.log_dir / "stage.log").read_text(errors="replace")
    for web in ("web", "web2"):
        assert "/follow/lead/" not in (app.stack.log_dir / f"{web}.log").read_text(errors="replace")


def test_the_join_page_on_the_stage_shows_the_audiences_address(app):
    audience = f"http://127.0.0.1:{app.stack.port}/"
    status, body = HttpClient(app.stage_url).get("/join/")
    assert status == 200
    assert f'href="{audience}"' in body and qr_svg(audience) in body
    assert f":{app.stack.stage_port}" not in body
    # On the audience's port, the same address.
    assert f'href="{audience}"' in HttpClient(app.url).get("/join/")[1]


def test_the_stage_outlives_every_web_process_killed_and_is_started_again_if_killed(app):
    stage = app.stack.procs["stage"]
    web = [app.stack.procs[n] for n in ("web", "web2")]
    for proc in web:
        proc.send_signal(signal.SIGKILL)
    assert healthy(app.stage_url)  # answering while the room's processes are down
    wait_until(lambda: all(app.stack.procs[n] not in web for n in ("web", "web2")), timeout=15, what="web restarts")
    assert app.stack.procs["stage"] is stage and stage.poll() is None
    stage.send_signal(signal.SIGKILL)
    wait_until(lambda: app.stack.procs["stage"] is not stage, timeout=15, what="the stage to be restarted")
    wait_until(lambda: _answers(app.stage_url), timeout=30, what="the restarted stage to answer")
    wait_until(lambda: _answers(app.url), timeout=30, what="the audience's port to answer")


def _answers(url: str) -> bool:
    try:
        return healthy(url)
    except OSError:
        return False
