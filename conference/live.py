"""Live timelines, redrawn a few times a second at most however fast writes arrive.

A timeline is a picture of the newest writes: drawing it on every accept, apply and "seen"
would cost more than the writes themselves at a few hundred a second. The first change
in a quiet moment schedules one redraw shortly after; changes until that redraw starts ride
along with it. A Redis flag makes that hold across every web and worker process.
"""

import logging

import redis
from kombu.exceptions import KombuError

from .connection import redis_client

log = logging.getLogger(__name__)

COALESCE_S = 0.25
# Only a safety net: the redraw clears its flag when it starts; a lost redraw blocks the next
# one for this long at most.
FLAG_TTL_S = 10
CURTAIN = ""  # the curtain's timeline shows every stream


def flag(stream: str) -> str:
    return f"timeline:due:{stream or '*'}"


def timelines_changed(streams=()) -> None:
    """Writes of `streams` changed: redraw their timelines and the curtain's, soon."""
    from .tasks import push_timeline  # the task imports the push layer, which imports us

    for stream in (CURTAIN, *sorted(set(streams))):
        try:
            if redis_client().set(flag(stream), 1, nx=True, ex=FLAG_TTL_S):
                push_timeline.apply_async((stream,), countdown=COALESCE_S)
        except (redis.RedisError, KombuError, OSError):
            # A picture of the writes must never fail a write or an apply.
            log.warning("timeline redraw not scheduled", exc_info=True)
