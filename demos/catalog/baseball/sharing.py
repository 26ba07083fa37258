"""The projector's readers on the audience's phones: the page that played a game shares each
read it makes of it (its reads say share=1), and the other pages show those reads, pushed,
instead of each reading six readers twice a second (static/showcase/tricks/baseball.js).

Only a session that wrote the game shares its reads of it. A read that shows what the last one
of its reader showed is shared again at most every HEARTBEAT_S: a phone that hears nothing for
longer reads on its own.
"""

import time

from django.template.loader import render_to_string

from demos import shared
from store.log import session_ref
from store.models import Event

from . import scoreboard

HEARTBEAT_S = 1.0
_last: dict[str, tuple[tuple, float]] = {}  # guarantee -> (what its last shared read showed, when); this process


def played_by(game: str, session_key: str | None) -> bool:
    if not (game and session_key):
        return False
    return Event.objects.filter(key=scoreboard.key(game, 0), session_key=session_ref(session_key)).exists()


def share(request, guarantee: str, context: dict, template: str) -> None:
    """Push this read (rendered by `template`) to the demo's pages, if this page played the game."""
    reading = context["reading"]
    if not played_by(context["game"], request.session.session_key):
        return
    shows = (context["game"], reading.score_text, tuple(reading.allowed_list), reading.written, reading.settled)
    now = time.monotonic()
    last = _last.get(guarantee)
    if last and last[0] == shows and now - last[1] < HEARTBEAT_S:
        return
    _last[guarantee] = (shows, now)
    shared.share(scoreboard.STREAM, render_to_string(template, {**context, "guarantee": guarantee}))
