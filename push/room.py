"""Who is in the room: audience devices with a page open right now, across every web process.

Each open audience socket is a member of one Redis sorted set, scored with its last heartbeat.
The consumer adds it on connect, refreshes it every HEARTBEAT_S and removes it on disconnect;
a socket whose process crashed stops beating and ages out after EXPIRE_S. Members are
"<device> <channel name>", so two tabs of one phone count once and closing one keeps the other.
"""

import time
import weakref
from asyncio import AbstractEventLoop, get_running_loop
from datetime import timedelta

import redis.asyncio
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from showcase.redis_client import redis_client
from store.models import Event

SOCKETS = "room:sockets"
HEARTBEAT_S = 10
EXPIRE_S = 3 * HEARTBEAT_S
WROTE_WITHIN = timedelta(minutes=1)

_clients: "weakref.WeakKeyDictionary[AbstractEventLoop, redis.asyncio.Redis]" = weakref.WeakKeyDictionary()


def _async_client() -> redis.asyncio.Redis:
    """One client per event loop: an asyncio connection belongs to the loop that opened it."""
    loop = get_running_loop()
    if loop not in _clients:
        _clients[loop] = redis.asyncio.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5)
    return _clients[loop]


def member(device: str, channel_name: str) -> str:
    return f"{device} {channel_name}"


async def beat(name: str) -> None:
    """Arrive, or say "still here": the score is the time of the last heartbeat."""
    await _async_client().zadd(SOCKETS, {name: time.time()})


async def leave(name: str) -> None:
    await _async_client().zrem(SOCKETS, name)


def devices_now() -> int:
    """Distinct devices with a socket that beat within EXPIRE_S; older ones are dropped."""
    client = redis_client()
    cutoff = time.time() - EXPIRE_S
    client.zremrangebyscore(SOCKETS, "-inf", cutoff)
    names = client.zrangebyscore(SOCKETS, cutoff, "+inf")
    return len({name.decode().partition(" ")[0] for name in names})


def writers_recently() -> int:
    """Sessions that wrote in the last minute, from the log."""
    since = timezone.now() - WROTE_WITHIN
    return Event.objects.filter(accepted_at__gte=since).exclude(session_key="").values("session_key").distinct().count()


def badge(oob: bool = False) -> str:
    context = {"devices": devices_now(), "writers": writers_recently(), "oob": oob}
    return render_to_string("push/room.html", context)
