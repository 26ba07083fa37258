"""Scale-out as docker-compose runs it, on one machine: several Daphne processes sharing one
listening socket (WEB_PROCESSES) and several Celery workers (WORKER_PROCESSES), meeting in Redis."""

import contextlib
import json
import signal
import urllib.request

import pytest
import websockets.sync.client

from tests import postgres
from tests.conftest import wait_until
from tests.live import start_live

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    app = start_live(tmp_path_factory.mktemp("scaled"), supervised=True, WEB_PROCESSES="2", WORKER_PROCESSES="2")
    yield app
    app.stack.stop()


def served_by(app, name: str) -> int:
    log = app.stack.log_dir / f"{name}.log"
    return log.read_text(errors="replace").count('"GET /healthz') if log.exists() else 0


def test_two_web_processes_take_turns_on_one_port_and_two_workers_apply(scaled):
    assert {"web", "web2", "worker", "worker2"} <= set(scaled.stack.procs)
    for _ in range(60):  # each a new connection: the kernel hands it to either process
        with urllib.request.urlopen(f"{scaled.url}/healthz", timeout=5) as response:
            assert response.status == 200
    assert served_by(scaled, "web") > 0 and served_by(scaled, "web2") > 0
    client = scaled.client()
    positions = [client.write(f"scaled {i}") for i in range(6)]
    replicas = scaled.query("SELECT count(*) FROM store_replica WHERE stream = ''")[0][0]
    marks = ",".join("?" * len(positions))
    sql = f"SELECT count(*) FROM store_delivery WHERE state = 'applied' AND event_id IN ({marks})"  # noqa: S608
    wait_until(lambda: scaled.query(sql, tuple(positions))[0][0] == replicas * 6, what="every replica to apply")


def test_on_postgresql_the_web_processes_serve_writes_from_kept_connections(scaled):
    """Each request runs in a thread of its own; without the pool (showcase/serve.py) each opened
    a connection and closed it when it answered, and none outlived its request."""
    if not postgres.is_postgres(scaled.database_url):
        pytest.skip("the pool is PostgreSQL's (make test-postgres runs this)")
    scaled.client().write("warm the pool")
    (started,) = scaled.query("SELECT now()")[0]
    clients = [scaled.client() for _ in range(4)]  # within each session's rate limit
    for i in range(30):
        clients[i // 8].write(f"pooled {i}")
    web = scaled.query(
        "SELECT backend_start FROM pg_stat_activity"
        " WHERE application_name = 'shell-game web' AND datname = current_database()"
    )
    assert any(backend_start < started for (backend_start,) in web), "no connection outlived its request"
    assert sum(backend_start >= started for (backend_start,) in web) <= 4, "30 writes opened a connection each"


def test_a_socket_on_either_process_gets_a_write_made_through_the_other(scaled):
    host = scaled.url.split("//", 1)[1]
    with contextlib.ExitStack() as stack:
        sockets = [
            stack.enter_context(
                websockets.sync.client.connect(f"ws://{host}/ws/live/?g=stream.push", origin=scaled.url)
            )
            for _ in range(8)
        ]
        text = "across the processes"
        scaled.client().write(text, "push")
        for ws in sockets:
            wait_until(lambda ws=ws: text in ws.recv(timeout=10), timeout=15, what="the push on every socket")
    # Eight sockets over two processes: the kernel spread them (each process logs its own).
    logs = [(scaled.stack.log_dir / f"{n}.log").read_text(errors="replace") for n in ("web", "web2")]
    assert all("/ws/live/" in log for log in logs), "one process took every socket"


def test_a_killed_web_process_is_restarted_on_the_same_socket(scaled):
    killed = scaled.stack.procs["web2"]
    killed.send_signal(signal.SIGKILL)
    wait_until(lambda: scaled.stack.procs["web2"] is not killed, timeout=15, what="web2 to be restarted")
    before = served_by(scaled, "web2")
    wait_until(
        lambda: (
            urllib.request.urlopen(f"{scaled.url}/healthz", timeout=5).status == 200
            and served_by(scaled, "web2") > before
        ),
        timeout=30,
        what="the restarted web2 to answer on the shared port",
    )
    assert set(json.loads(urllib.request.urlopen(f"{scaled.url}/healthz", timeout=5).read()).values()) == {"ok"}
