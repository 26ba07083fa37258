"""Who watches each group right now, across every web process: a redraw nobody would see is
not rendered.

Rendering the curtain's log, its replicas and the timelines costs far more than a write; under
load the coalesced redraws of pages nobody has open took most of the worker's time. Each open
socket is a member of one sorted set per group it joined, scored with its last heartbeat: added
on connect, refreshed with the room's heartbeat, removed on disconnect; a socket whose process
crashed ages out as the room's do. Skipping is safe because every connect starts with a snapshot
(push/consumers.py), and a socket is counted before its snapshot is rendered: a change a
redraw skipped is in the snapshot of whoever arrives after it.
"""

import time

import redis

from showcase.redis_client import async_redis_client, redis_client

from .room import EXPIRE_S, HEARTBEAT_S

__all__ = ["HEARTBEAT_S", "beat", "leave", "watched"]  # the room's heartbeat, re-exported


def _key(group: str) -> str:
    return f"watch:{group}"


async def beat(groups: list[str], channel_name: str) -> None:
    """Arrive, or say "still here" in every group the socket joined."""
    now = time.time()
    async with async_redis_client().pipeline(transaction=False) as pipe:
        for group in groups:
            pipe.zadd(_key(group), {channel_name: now})
            pipe.expire(_key(group), EXPIRE_S)  # a group whose every socket died goes, too
        await pipe.execute()


async def leave(groups: list[str], channel_name: str) -> None:
    async with async_redis_client().pipeline(transaction=False) as pipe:
        for group in groups:
            pipe.zrem(_key(group), channel_name)
        await pipe.execute()


def watched(groups: list[str], first=None) -> set[str]:
    """Those of `groups` someone may have open; with Redis unreachable, all (draw rather than miss).

    `first(pipe)`: commands to run before, in the same round trip (push/sent.py `advance`)."""
    try:
        with redis_client().pipeline(transaction=False) as pipe:
            ahead = len(first(pipe)) if first else 0
            for group in groups:
                pipe.zcount(_key(group), time.time() - EXPIRE_S, "+inf")
            counts = pipe.execute()[ahead:]
    except (redis.RedisError, OSError):
        return set(groups)
    return {group for group, count in zip(groups, counts, strict=True) if count}
