"""Follow the presenter: the page the projector shows, announced to the phones that follow it.

The projector is the staff session in presenter mode; each page it loads announces its path
(conference/follow.py). The path is kept in Redis, so a phone that connects later (or again,
after a restart) gets it in its socket's first message, and published once to the FOLLOW group:
one small fragment, whatever the number of phones. Each phone then loads the new page itself,
after a random pause of its own (static/showcase/follow.js), so a room does not arrive at once.
"""

from django.template.loader import render_to_string

from demos.groups import FOLLOW
from showcase.redis_client import redis_client

from .channel import send

KEY = "follow:path"


def target() -> str:
    """The path the projector shows now; '' when nobody presents."""
    value = redis_client().get(KEY)
    return value.decode() if value else ""


def marker(oob: bool = False) -> str:
    return render_to_string("push/follow.html", {"path": target(), "oob": oob})


def lead(path: str) -> None:
    """The projector shows `path` now: tell every following phone, unless it already knew."""
    if redis_client().getset(KEY, path) != path.encode():
        send(FOLLOW, marker(oob=True))


def stop() -> None:
    """Nobody presents: phones stay where they are."""
    if redis_client().delete(KEY):
        send(FOLLOW, marker(oob=True))
