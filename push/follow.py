"""Follow the presenter: the page the projector shows, announced to the phones that follow it.

The projector is the staff session in presenter mode; each page it loads announces its path
(conference/follow.py). The path is kept in Redis, so a phone that connects later (or again,
after a restart) gets it in its socket's first message, and published once to the FOLLOW group:
one small fragment, whatever the number of phones.

A phone that has written nothing is shown exactly what every such phone is shown
(conference/page_cache.py). For a page of the talk (`shared_pages`) that shared page is rendered
once, when the projector moves, and pushed with the news (PAGE, before the marker): such a phone swaps it in
and keeps its socket (static/showcase/follow.js), which then moves to the new page's groups
(`groups_in`, push/consumers.py). A room follows with one render and a frame per phone, not a
page load and a socket each. Any other phone (it wrote what the page shows, or the page is not
the talk's) loads the page itself, after a random pause of its own, so a room does not arrive at once.
"""

import asyncio
import json
import logging
import time
from functools import cache
from typing import NamedTuple

from django.template.loader import render_to_string
from django.urls import reverse

from demos import registry
from demos.groups import FOLLOW
from showcase.redis_client import async_redis_client, redis_client
from store.log import session_ref

from .channel import send

log = logging.getLogger(__name__)

KEY = "follow:path"
PAGE = "follow.page"  # the message type of a pushed page: push/consumers.py sends it only to phones it fits
PAGE_FRAME = "<!--follow-page {path} {drawn}-->"  # a pushed page's frame: this line, then the whole page
# Who posted, and where (`mark`): their pages, or the one demo page they posted on, are their
# own (conference/page_cache.py).
WRITERS = "room:writers"
WRITERS_TTL_S = 12 * 3600
MAX_MOVE_FRAME = 8192  # a page's groups, a dozen names, and the counts of every group


@cache
def demo_pages() -> frozenset[str]:
    return frozenset(reverse("demo", args=[d.slug]) for d in registry.demos())


@cache
def shared_pages() -> frozenset[str]:
    """The pages of the talk every phone that wrote nothing is shown alike: the index, the
    curtain (it marks no session's writes as its own) and the demos'."""
    return frozenset({reverse("index"), reverse("curtain"), *demo_pages()})


def mark(ref: str, posted: str) -> str:
    """What WRITERS keeps of a session's post to the path `posted`: under a demo's page (its
    endpoints are, and each writes that demo's stream alone), "<ref> <page>": that page shows the
    session's own writes, no other does. Anywhere else, "<ref>": any page may show what it wrote."""
    page = next((page for page in demo_pages() if posted.startswith(page)), None)
    return f"{ref} {page}" if page else ref


def marks(ref: str, page: str) -> list[str]:
    """The WRITERS members any one of which makes `page` this session's own."""
    return [ref, f"{ref} {page}"]


def page_path(frame: str) -> str:
    """The path of a pushed page, from its frame's first line (PAGE_FRAME)."""
    head = PAGE_FRAME.split("{")[0]
    return frame[len(head) : frame.find("-->")].split(" ")[0] if frame.startswith(head) else ""


def target() -> str:
    """The path the projector shows now; '' when nobody presents."""
    value = redis_client().get(KEY)
    return value.decode() if value else ""


def marker(oob: bool = False) -> str:
    return render_to_string("push/follow.html", {"path": target(), "oob": oob})


def moves(path: str) -> bool:
    """Whether `path` is news to the following phones."""
    return redis_client().get(KEY) != path.encode()


def lead(path: str, page: str | None = None, drawn: dict[str, str] | None = None) -> None:
    """The projector shows `path` now: tell every following phone, unless it already knew.

    `page`: the page a phone that wrote nothing gets for `path`, pushed before the news;
    `drawn`: the groups' counts read before it was rendered (push/sent.py `now`)."""
    if redis_client().getset(KEY, path) != path.encode():
        if page is not None:
            frame = PAGE_FRAME.format(path=path, drawn=json.dumps(drawn or {}, separators=(",", ":")))
            send(FOLLOW, frame + page, kind=PAGE, hold=True)  # its marker must not overtake it
        send(FOLLOW, marker(oob=True))


def stop() -> None:
    """Nobody presents: phones stay where they are."""
    if redis_client().delete(KEY):
        send(FOLLOW, marker(oob=True))


class Move(NamedTuple):
    """What a page swapped in asks its socket for: its groups, and each group's count when the
    page was rendered (push/sent.py), as the pushed page's frame gave them."""

    groups: list[str]
    drawn: dict[str, str]


def move_in(frame: str) -> Move | None:
    """The move a page swapped in asks its socket for (`{"groups": [...], "drawn": {...}}`); None
    for any other frame. Counts that are not strings are left out: that group starts with its snapshot."""
    if len(frame) > MAX_MOVE_FRAME:
        return None
    try:
        asked = json.loads(frame)
    except ValueError:
        return None
    groups = asked.get("groups") if isinstance(asked, dict) else None
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        return None
    drawn = asked.get("drawn")
    drawn = {g: c for g, c in drawn.items() if isinstance(c, str)} if isinstance(drawn, dict) else {}
    return Move(groups, drawn)


class Writers:
    """Whether a session posted (WRITERS), read once per READ_EVERY_S per process: a pushed page
    reaches a thousand sockets at once, and each asks."""

    READ_EVERY_S = 1.0

    def __init__(self) -> None:
        self.read_at = -float("inf")
        self.refs: asyncio.Future | None = None

    async def wrote(self, session_key: str | None, page: str) -> bool:
        """True when the session posted what `page` shows (on it, or off the demos' pages), or
        whether it did is unknown (Redis away)."""
        if not session_key:
            return True
        if self.refs is None or time.monotonic() - self.read_at > self.READ_EVERY_S:
            self.read_at = time.monotonic()
            self.refs = asyncio.ensure_future(async_redis_client().smembers(WRITERS))
        try:
            refs = await asyncio.shield(self.refs)
        except Exception:  # noqa: BLE001 - unknown: the phone loads its own page
            log.warning("who wrote is unknown: following phones load their pages", exc_info=True)
            return True
        return any(m.encode() in refs for m in marks(session_ref(session_key), page))


writers = Writers()
