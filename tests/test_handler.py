"""showcase/handler.py: under ASGI, Django's middleware chain and a sync view run in the
request's thread without a round trip through the event loop; an async view is still awaited
on the loop."""

import asyncio
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpResponse
from django.urls import path

from showcase.handler import SyncChainASGIHandler

calls: list[tuple[str, int, bool]] = []  # (where, thread, whether the loop was re-entered on the way)


def _through_the_loop() -> bool:
    """Whether this sync code was reached through asgiref's AsyncToSync, whose thread waits for
    the loop and runs what the loop hands back (the round trip, thread to loop to thread, that
    the handler avoids)."""
    return any(f.name == "run_until_future" and "asgiref" in f.filename for f in traceback.extract_stack())


class Recorder:
    """A sync-only middleware with a `process_view`, as CSRF's."""

    sync_capable, async_capable = True, False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        calls.append(("middleware", threading.get_ident(), _through_the_loop()))
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        calls.append(("process_view", threading.get_ident(), _through_the_loop()))


def sync_view(request):
    calls.append(("view", threading.get_ident(), _through_the_loop()))
    return HttpResponse("sync")


async def async_view(request):
    await asyncio.sleep(0)
    calls.append(("async view", threading.get_ident(), False))
    return HttpResponse("async")


urlpatterns = [path("sync/", sync_view), path("async/", async_view)]


@pytest.fixture
def app(settings):
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = [f"{__name__}.Recorder"]
    calls.clear()


def get(handler: ASGIHandler, url: str) -> tuple[int, int, bytes]:
    """GET `url` through `handler` on an event loop of its own; (the loop's thread, status, body)."""

    async def run():
        scope = {
            "type": "http",
            "method": "GET",
            "path": url,
            "query_string": b"",
            "headers": [(b"host", b"testserver")],
            "server": ("testserver", 80),
        }
        app = ApplicationCommunicator(handler, scope)
        await app.send_input({"type": "http.request", "body": b""})
        start = await app.receive_output(5)
        body = await app.receive_output(5)
        await app.wait(5)
        return threading.get_ident(), start["status"], body["body"]

    with ThreadPoolExecutor(1) as pool:  # off any loop a browser test left in the main thread
        return pool.submit(asyncio.run, run()).result()


@pytest.mark.django_db(transaction=True)
def test_the_chain_and_a_sync_view_run_in_one_thread_never_back_through_the_loop(app):
    loop, status, body = get(SyncChainASGIHandler(), "/sync/")
    assert (status, body) == (200, b"sync")
    assert [where for where, _, _ in calls] == ["middleware", "process_view", "view"]
    assert len({thread for _, thread, _ in calls}) == 1 and calls[0][1] != loop
    assert not any(through for _, _, through in calls), calls


@pytest.mark.django_db(transaction=True)
def test_django_s_own_handler_goes_back_through_the_loop_for_the_view(app):
    """The round trip the handler saves, seen with the same middleware: the check above can fail."""
    get(ASGIHandler(), "/sync/")
    assert dict((where, through) for where, _, through in calls) == {
        "middleware": False,
        "process_view": True,
        "view": True,
    }


@pytest.mark.django_db(transaction=True)
def test_an_async_view_is_awaited_on_the_loop(app):
    loop, status, body = get(SyncChainASGIHandler(), "/async/")
    assert (status, body) == (200, b"async")
    assert [(where, thread == loop) for where, thread, _ in calls] == [
        ("middleware", False),
        ("process_view", False),
        ("async view", True),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_missing_page_is_a_404_through_the_chain(app):
    _, status, _ = get(SyncChainASGIHandler(), "/nowhere/")
    assert status == 404 and [where for where, _, _ in calls] == ["middleware"]


def test_the_app_serves_http_through_this_handler():
    from showcase import asgi

    assert isinstance(asgi.django_asgi_app, SyncChainASGIHandler)
