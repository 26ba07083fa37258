"""Who is in the room: audience devices with a page open right now, across every web process.

Each open audience socket is a member of one Redis sorted set, scored with its last heartbeat.
The consumer adds it on connect, refreshes it every HEARTBEAT_S and removes it on disconnect;
a socket whose process crashed stops beating and ages out after EXPIRE_S. Members are
"<device> <channel name>", so two tabs of one phone count once and closing one keeps the other.
"""

import time
from datetime import timedelta

from django.template.loader import render_to_string
from django.utils import timezone

from showcase.redis_client import async_redis_client, redis_client
from store.models import Event

SOCKETS = "room:sockets"
HEARTBEAT_S = 10
EXPIRE_S = 3 * HEARTBEAT_S
WROTE_WITHIN = timedelta(minutes=1)


def member(device: str, channel_name: str) -> str:
    return f"{device} {channel_name}"


async def beat(name: str) -> None:
    """Arrive, or say "still here": the score is the time of the last heartbeat."""
    await async_redis_client().zadd(SOCKETS, {name: time.time()})


async def leave(name: str) -> None:
    await async_redis_client().zrem(SOCKETS, name)


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
