"""A room follows the projector to the next demo: render its page once a second, not per phone.

When the presenter moves on, every following phone asks for the same page within a second
(push/follow.py, static/showcase/follow.js); rendered for each, a room of 300 costs the server
seconds of CPU at the moment the talk moves on. A phone that joined through /join/ and has written
nothing sees exactly what every such phone sees, except for its CSRF token and the fresh
idempotency keys of its forms: so its page is rendered once per TTL_S per process, and each phone
gets that body with its own token and keys put in. What is live on the page is drawn again from a
fresh snapshot when the page's socket connects (push/consumers.py), as for a page rendered the
moment before a write, so a body up to TTL_S old shows nothing stale for long.

Who gets the shared body: an anonymous session whose data is the follow flag (and what the pages
themselves put in it, which is part of the key), that never POSTed anything but the seen beacon.
A session that posts is remembered in Redis (WRITERS), so both web processes render for it alone
the pages that show its own writes marked as its own: the demo page it posted on (a demo's
endpoints write that demo's stream alone), or every page for a post anywhere else.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from push import sent
from push.follow import WRITERS, WRITERS_TTL_S, mark, marks, shared_pages
from push.regions import known_groups
from showcase.redis_client import redis_client
from store.log import session_ref

from . import follow  # a module: it imports this one too

TTL_S = 1.0
# While one request renders a page again, the others are answered with the last render if it is
# at most STALE_S old, else they wait for that render (at most RENDER_WAIT_S): a room arriving at
# a page rendered each request that came in while the page was being rendered, hundreds at once.
STALE_S = 3.0
RENDER_WAIT_S = 5.0
QUIET_POSTS = ("/seen/",)  # posts that write nothing a page shows
FOR_THE_ROOM = "shellgame.for_the_room"  # the request of `for_followers`: rendered now, never from the cache
TOKEN = re.compile(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'')
KEY = re.compile(r'(name="key" value=")([0-9a-f]{32})(")')


@dataclass
class Page:
    rendered: float
    body: str  # with the render's CSRF token as TOKEN_MARK
    status: int
    headers: list[tuple[str, str]]


TOKEN_MARK = "\x00csrf\x00"


class FollowerPageCache:
    def __init__(self, get_response):
        self.get_response = get_response
        self.pages: dict[tuple[str, str], Page] = {}
        self.rendering: dict[tuple[str, str], threading.Event] = {}
        self.lock = threading.Lock()
        self.posted: set[str] = set()  # this process's own record (push/follow.py `mark`), should Redis be away
        self.shared: set[str] = set()  # of those, the ones WRITERS in Redis holds (told once)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            self.remember_writer(request)
            return self.get_response(request)
        variant = self.variant(request)
        if variant is None:
            return self.get_response(request)
        key = (request.path, variant)
        page = self.pages.get(key)
        age = time.monotonic() - page.rendered if page is not None else None
        if age is not None and age < TTL_S:
            return self.answer(request, page)
        with self.lock:
            rendering = self.rendering.get(key)
            if rendering is None:
                rendering = self.rendering[key] = threading.Event()
                leads = True
            else:
                leads = False
        if not leads:
            if age is not None and age < STALE_S:
                return self.answer(request, page)
            rendering.wait(RENDER_WAIT_S)
            if (page := self.pages.get(key)) is not None:
                return self.answer(request, page)
            return self.get_response(request)
        try:
            response = self.get_response(request)
            if response.status_code == 200 and not response.streaming and (page := self.keep(response)):
                self.pages[key] = page
        finally:
            with self.lock:
                del self.rendering[key]
            rendering.set()
        return response

    def remember_writer(self, request: HttpRequest) -> None:
        session_key = request.session.session_key
        if not session_key or request.path in QUIET_POSTS:
            return
        posted = mark(session_ref(session_key), request.path)
        self.posted.add(posted)
        if posted in self.shared:
            return  # every process knows already: a write costs no Redis round trip for this
        try:
            redis_client().pipeline().sadd(WRITERS, posted).expire(WRITERS, WRITERS_TTL_S).execute()
            self.shared.add(posted)
        except Exception:  # noqa: BLE001 - Redis away: this process still knows; the other renders as before
            pass

    def variant(self, request: HttpRequest) -> str | None:
        """What the page depends on besides its token and keys, or None: render it for this request alone."""
        if request.path not in shared_pages() or request.GET or request.headers.get("HX-Request"):
            return None
        if request.META.get(FOR_THE_ROOM):
            return None
        if request.user.is_authenticated or request.session.get(follow.SESSION_KEY) is not True:
            return None
        own = marks(session_ref(request.session.session_key), request.path)
        if self.posted.intersection(own):
            return None
        try:
            if any(redis_client().smismember(WRITERS, own)):
                return None
        except Exception:  # noqa: BLE001 - Redis away: whether it wrote is unknown
            return None
        return json.dumps(dict(request.session.items()), sort_keys=True, default=str)

    def keep(self, response: HttpResponse) -> Page | None:
        body = _marked(response)
        return Page(time.monotonic(), body, 200, list(response.items())) if body is not None else None

    def answer(self, request: HttpRequest, page: Page) -> HttpResponse:
        keys: dict[str, str] = {}

        def fresh_key(m: re.Match) -> str:
            return m.group(1) + keys.setdefault(m.group(2), uuid.uuid4().hex) + m.group(3)

        body = KEY.sub(fresh_key, page.body.replace(TOKEN_MARK, get_token(request)))
        response = HttpResponse(body, status=page.status)
        for name, value in page.headers:
            if name.lower() != "content-length":
                response[name] = value
        return response


@cache
def _handler() -> BaseHandler:
    """Django's whole middleware chain and views, for a request this process makes itself."""
    handler = BaseHandler()
    handler.load_middleware()
    return handler


class ForTheRoom(NamedTuple):
    page: str  # TOKEN_MARK in place of its CSRF token
    drawn: dict[str, str]  # every group's count, read before it was rendered (push/sent.py)


def for_followers(request: HttpRequest, path: str) -> ForTheRoom | None:
    """The page `path` as every following phone that wrote nothing is shown it; rendered once
    when the projector moves there (push/follow.py pushes it), through the whole chain (never
    from this cache: it must be as new as its counts) for a session made for the purpose and
    deleted after. None for a page that is not the talk's (push/follow.py `shared_pages`)."""
    if path not in shared_pages():
        return None
    try:
        drawn = sent.now(known_groups())
    except Exception:  # noqa: BLE001 - Redis away: the phones start each group with its snapshot
        drawn = {}
    session = SessionStore()
    session[follow.SESSION_KEY] = True
    session.create()
    host = request.get_host()
    try:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": request.META.get("SERVER_NAME", "localhost"),
            "SERVER_PORT": str(request.META.get("SERVER_PORT", "80")),
            "HTTP_HOST": host,
            "HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
            "REMOTE_ADDR": request.META.get("REMOTE_ADDR", "127.0.0.1"),
            "wsgi.input": io.BytesIO(),
            "wsgi.url_scheme": request.scheme,
            FOR_THE_ROOM: True,
        }
        response = _handler().get_response(WSGIRequest(environ))
    finally:
        session.delete()
    if response.status_code != 200 or response.streaming or (page := _marked(response)) is None:
        return None
    return ForTheRoom(page, drawn)


def _marked(response: HttpResponse) -> str | None:
    """The page's body with TOKEN_MARK in place of its CSRF token; None if it has none."""
    body = response.content.decode()
    token = TOKEN.search(body)
    return body.replace(token.group(1), TOKEN_MARK) if token else None
