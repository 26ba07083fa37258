"""`/healthz`: is the database, Redis and at least one Celery worker up? Answered in a few ms.

The worker proves it is alive itself: a consumer bootstep writes a heartbeat key with a short
TTL every second while the worker is connected to the broker. The view reads that key instead
of pinging workers (a control ping waits out its whole timeout on every call and answers "no
worker" whenever a busy worker is slow to reply). A dead worker's key expires within
HEARTBEAT_TTL_S; Redis or the database going away fails its check at once.
"""

from __future__ import annotations

import json
import logging
import socket
import threading

from asgiref.sync import sync_to_async
from celery import bootsteps
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from showcase.redis_client import redis_client

HEARTBEAT_KEY = "health:worker"
HEARTBEAT_EVERY_S = 1.0
# Three beats: a worker busy for a moment never flaps, a dead one is out within 3 s.
HEARTBEAT_TTL_S = 3

log = logging.getLogger(__name__)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Runs in the worker's main process while its consumer is connected: Celery stops and
    restarts consumer steps when the broker connection drops, so no beat is written then."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.name = getattr(parent, "hostname", None) or socket.gethostname()

    def start(self, parent) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="health-heartbeat", daemon=True)
        self._thread.start()

    def stop(self, parent) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    shutdown = stop

    def _run(self) -> None:
        while not self._stop.is_set():
            beat(self.name)
            self._stop.wait(HEARTBEAT_EVERY_S)


def beat(name: str) -> None:
    try:
        redis_client().set(HEARTBEAT_KEY, name, ex=HEARTBEAT_TTL_S)
    except Exception as error:  # noqa: BLE001 - Redis down: the key expires, /healthz says so
        log.debug("heartbeat not written: %s", error)


def check_database() -> str:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as error:  # noqa: BLE001 - any failure is "not ok", with its reason
        # Reconnect next time instead of reusing a broken connection.
        connection.close()
        return f"error: {error}"


def check_redis_and_worker() -> tuple[str, str]:
    """One round trip answers both: reading the heartbeat proves Redis is up."""
    try:
        beating = redis_client().exists(HEARTBEAT_KEY)
    except Exception as error:  # noqa: BLE001
        return f"error: {error}", "unknown: Redis unreachable"
    return "ok", "ok" if beating else f"error: no heartbeat for {HEARTBEAT_TTL_S} s"


def checks() -> dict[str, str]:
    redis, worker = check_redis_and_worker()
    return {"database": check_database(), "redis": redis, "worker": worker}


async def answer() -> tuple[int, dict[str, str]]:
    # In a thread of its own, never the one thread that serves sync views and middleware.
    result = await sync_to_async(checks, thread_sensitive=False)()
    return (200 if all(v == "ok" for v in result.values()) else 503), result


@require_GET
async def healthz(request):
    """200 when every part is ok. Under Daphne, `edge` answers before Django is reached."""
    status, result = await answer()
    return JsonResponse(result, status=status)


def edge(app):
    """ASGI wrapper that answers GET /healthz itself. Django's middleware runs each of its
    sync hooks in the one thread that also renders every page, so behind a queue of page
    loads a health check would wait its turn and a load balancer would see a dead app."""

    async def wrapper(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/healthz" and scope["method"] in ("GET", "HEAD"):
            status, result = await answer()
            body = json.dumps(result).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body if scope["method"] == "GET" else b""})
            return
        await app(scope, receive, send)

    return wrapper
