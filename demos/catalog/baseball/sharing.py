"""The projector's readers on the audience's phones: the page that played a game shares each
read it makes of it (its reads say share=1), and the other pages show those reads, pushed,
instead of each reading six readers twice a second (static/showcase/tricks/baseball.js).

Only a session that wrote the game shares its reads of it. Each process gathers the shared
reads for WINDOW_S and pushes them in one frame, the newest read of each reader: a room's phone
gets a frame per window, not one per read (six readers, two reads a second each). A window
whose reads all show what their readers' last pushed reads showed is not pushed, unless a
reader's was pushed HEARTBEAT_S ago or more: a phone that hears nothing for longer
(WATCH_GRACE_MS) reads on its own. A phone shows a subsequence of each reader's reads, each
within its guarantee when it was read, so its history stays a true one.
"""

import threading
import time

from django.template.loader import render_to_string

from demos import shared
from store.log import session_ref
from store.models import Event

from . import scoreboard

WINDOW_S = 0.25
HEARTBEAT_S = 1.0


class _Batch:
    """This process's shared reads not yet pushed, the newest of each reader."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: dict[str, tuple[tuple, str, dict]] = {}  # guarantee -> (what it shows, template, context)
        self.pushed: dict[str, tuple[tuple, float]] = {}  # guarantee -> (what its last pushed read showed, when)
        self.timer: threading.Timer | None = None

    def add(self, guarantee: str, shows: tuple, template: str, context: dict) -> None:
        with self.lock:
            self.pending[guarantee] = (shows, template, context)
            if self.timer is None:
                self.timer = threading.Timer(WINDOW_S, self.flush)
                self.timer.daemon = True
                self.timer.start()

    def flush(self) -> None:
        now = time.monotonic()
        with self.lock:
            pending, self.pending, self.timer = self.pending, {}, None
            if not any(self.news(g, shows, now) for g, (shows, _, _) in pending.items()):
                return
            for guarantee, (shows, _, _) in pending.items():
                self.pushed[guarantee] = (shows, now)
        # Rendered here, once per window: a read overtaken within it is never drawn.
        frame = "".join(render_to_string(t, {**c, "guarantee": g}) for g, (_, t, c) in pending.items())
        shared.share(scoreboard.STREAM, frame)

    def news(self, guarantee: str, shows: tuple, now: float) -> bool:
        last = self.pushed.get(guarantee)
        return not last or last[0] != shows or now - last[1] >= HEARTBEAT_S


_batch = _Batch()


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
    _batch.add(guarantee, shows, template, context)
