"""Per-session write limits, counted in Redis so every web process shares them.

Per session, not per address: a venue puts hundreds of phones behind one NAT address.
A window opens with a session's first write and lasts `RATELIMIT_WINDOW_S`; within it at
most `RATELIMIT_WRITES` writes pass.
"""

import logging

import redis
from django.conf import settings
from django.http import HttpRequest

from showcase.redis_client import redis_client

log = logging.getLogger(__name__)


def _session_key(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key


def hit(name: str, limit: int, window_s: int) -> tuple[int, int]:
    """Count one hit against `name`; return (hits in the current window, seconds it has left)."""
    key = f"ratelimit:{name}"
    pipe = redis_client().pipeline(transaction=True)
    # One MULTI: the window's expiry is set with its first hit, never lost between two calls.
    pipe.set(key, 0, ex=window_s, nx=True)
    pipe.incr(key)
    pipe.ttl(key)
    _, count, ttl = pipe.execute()
    return count, max(int(ttl), 1)


def check(request: HttpRequest, scope: str = "write") -> str | None:
    """Count one write by this session; return why it is refused, or None to let it pass."""
    limit, window_s = settings.RATELIMIT_WRITES, settings.RATELIMIT_WINDOW_S
    try:
        count, left = hit(f"{scope}:{_session_key(request)}", limit, window_s)
    except redis.RedisError:
        # Without Redis the write path is down anyway; never let the limiter be the one to block.
        log.warning("rate limit not checked: Redis unavailable", exc_info=True)
        return None
    if count <= limit:
        return None
    return f"Slow down: at most {limit} writes every {window_s} s. Try again in {left} s."
