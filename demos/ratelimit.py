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
from dataclasses import dataclass

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
    return hits([(name, window_s)])[0]


def hits(windows: list[tuple[str, int]]) -> list[tuple[int, int]]:
    """Count one hit against each (name, window length): one round trip to Redis for them all."""
    pipe = redis_client().pipeline(transaction=True)
    # One MULTI: each window's expiry is set with its first hit, never lost between two calls.
    for name, window_s in windows:
        key = f"ratelimit:{name}"
        pipe.set(key, 0, ex=window_s, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
    replies = pipe.execute()
    return [(count, max(int(ttl), 1)) for count, ttl in zip(replies[1::3], replies[2::3], strict=True)]


def _hits(windows: list[tuple[str, int]]) -> list[tuple[int, int]]:
    try:
        return hits(windows)
    except redis.RedisError:
        log.warning("rate limit counted in this process only: Redis unavailable")
        return [_local.hit(name, window_s) for name, window_s in windows]


@dataclass(frozen=True)
class Limit:
    name: str
    window_s: int
    most: int
    refusal: str  # with {left}: the seconds the window has left


def _refused(limits: list[Limit]) -> str | None:
    """Count a hit against each limit (one round trip); why the first one exceeded refuses."""
    counted = _hits([(limit.name, limit.window_s) for limit in limits])
    for limit, (count, left) in zip(limits, counted, strict=True):
        if count > limit.most:
            return limit.refusal.format(left=left)
    return None


def address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def check(request: HttpRequest, *, new_session: bool = False, scope: str = "write") -> str | None:
    """Count one write; return why it is refused, or None to let it pass.

    `new_session`: the write came without a session (this request is making one). A request
    with a session is counted in one round trip; one without gets its session only once its
    address may write, so a refused client mints none.
    """
    window_s = settings.RATELIMIT_WINDOW_S
    ip = address(request)
    limits = []
    if new_session:
        limits.append(
            Limit(
                f"{scope}:fresh:{ip}",
                NEW_SESSION_WINDOW_S,
                settings.RATELIMIT_NEW_SESSIONS,
                "Too many writes without a session from your network. Reload the page, or try again in {left} s.",
            )
        )
    limits.append(
        Limit(
            f"{scope}:addr:{ip}",
            window_s,
            settings.RATELIMIT_ADDRESS_WRITES,
            "Your network is writing too fast. Try again in {left} s.",
        )
    )
    if not request.session.session_key:
        if refused := _refused(limits):
            return refused
        request.session.save()
        limits = []
    most = settings.RATELIMIT_WRITES
    limits.append(
        Limit(
            f"{scope}:{request.session.session_key}",
            window_s,
            most,
            f"Slow down: at most {most} writes every {window_s} s. Try again in {{left}} s.",
        )
    )
    return _refused(limits)
