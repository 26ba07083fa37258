"""/healthz against the real app: the worker's own heartbeat, Redis and the database."""

import json
import signal
import urllib.error
import urllib.request

import pytest

from tests.conftest import wait_until
from tests.live import start_live


def healthz(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_healthz_reports_all_ok_on_a_live_app(live):
    assert healthz(live.url) == (200, {"database": "ok", "redis": "ok", "worker": "ok"})


def test_healthz_never_flaps_on_a_healthy_app(live):
    answers = [healthz(live.url)[0] for _ in range(50)]
    assert answers == [200] * 50


@pytest.fixture
def doomed(tmp_path):
    """An app of its own, since these tests kill its parts."""
    app = start_live(tmp_path)
    yield app
    app.stack.stop()


def test_healthz_turns_503_when_the_worker_dies_and_200_when_it_is_back(doomed):
    doomed.stack.stop("worker", sig=signal.SIGKILL)
    status, body = wait_until(lambda: (r := healthz(doomed.url))[0] == 503 and r, timeout=10, what="503")
    assert body["worker"].startswith("error") and body["redis"] == "ok" and body["database"] == "ok"
    doomed.stack.start_worker()
    wait_until(lambda: healthz(doomed.url)[0] == 200, timeout=30, what="200 again")


def test_healthz_turns_503_when_redis_goes_away(doomed):
    doomed.stack.stop("redis", sig=signal.SIGKILL)
    status, body = wait_until(lambda: (r := healthz(doomed.url))[0] == 503 and r, timeout=10, what="503")
    assert body["redis"].startswith("error") and body["database"] == "ok"
