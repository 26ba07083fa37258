"""Write limits, counted in Redis so every web process shares them.

Three windows, each opened by its first hit and lasting its length:
- per session (RATELIMIT_WRITES per RATELIMIT_WINDOW_S): one phone can't flood the room;
- per address (RATELIMIT_ADDRESS_WRITES per RATELIMIT_WINDOW_S): high, since a venue puts
  hundreds of phones behind one NAT address, but a client minting sessions stops there;
- writes that arrive without a session (RATELIMIT_NEW_SESSIONS per minute and address): pages
  open a session when they show a form, so only a client that drops its cookie writes without
  one, and it can't mint a session per write.
With Redis down the limits degrade to this process's own memory, and say so in the log.
"""

import logging
import threading
import time
from collections import defaultdict

import redis
from django.conf import settings
from django.http import HttpRequest

from showcase.redis_client import redis_client

log = logging.getLogger(__name__)
NEW_SESSION_WINDOW_S = 60


class _LocalWindows:
    """The same windows in this process's memory: weaker (per process), never absent."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.windows: dict[str, tuple[float, int]] = defaultdict(lambda: (0.0, 0))

    def hit(self, name: str, window_s: int) -> tuple[int, int]:
        now = time.monotonic()
        with self.lock:
            opened, count = self.windows[name]
            if now - opened >= window_s:
                opened, count = now, 0
            self.windows[name] = (opened, count + 1)
            if len(self.windows) > 100_000:  # bounded: drop what has expired
                for key in [k for k, (o, _) in self.windows.items() if now - o >= window_s]:
                    del self.windows[key]
            return count + 1, max(int(window_s - (now - opened)), 1)


_local = _LocalWindows()


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


def _hit(name: str, window_s: int) -> tuple[int, int]:
    try:
        return hit(name, 0, window_s)
    except redis.RedisError:
        log.warning("rate limit counted in this process only: Redis unavailable")
        return _local.hit(name, window_s)


def address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def check(request: HttpRequest, *, new_session: bool = False, scope: str = "write") -> str | None:
    """Count one write; return why it is refused, or None to let it pass.

    `new_session`: the write came without a session (this request is making one).
    """
    window_s = settings.RATELIMIT_WINDOW_S
    ip = address(request)
    if new_session:
        count, left = _hit(f"{scope}:fresh:{ip}", NEW_SESSION_WINDOW_S)
        if count > settings.RATELIMIT_NEW_SESSIONS:
            return f"Too many writes without a session from your network. Reload the page, or try again in {left} s."
    count, left = _hit(f"{scope}:addr:{ip}", window_s)
    if count > settings.RATELIMIT_ADDRESS_WRITES:
        return f"Your network is writing too fast. Try again in {left} s."
    if not request.session.session_key:
        request.session.save()
    limit = settings.RATELIMIT_WRITES
    count, left = _hit(f"{scope}:{request.session.session_key}", window_s)
    if count > limit:
        return f"Slow down: at most {limit} writes every {window_s} s. Try again in {left} s."
    return None
