"""Pooled Redis clients: one per URL for sync code (the rate limit, the push layer's flags),
one per event loop for async code (an asyncio connection belongs to the loop that opened it)."""

import time
import weakref
from asyncio import AbstractEventLoop, get_running_loop
from functools import cache
from typing import NamedTuple

import redis
import redis.asyncio
from django.conf import settings

_async_clients: "weakref.WeakKeyDictionary[AbstractEventLoop, redis.asyncio.Redis]" = weakref.WeakKeyDictionary()


# A room arriving at once is hundreds of sockets and requests asking Redis in one moment: a pool
# that refuses past its size ("Too many connections", redis-py's default of 100) failed their
# connects and heartbeats; these wait up to POOL_WAIT_S for a connection instead.
POOL_SIZE = 64
POOL_WAIT_S = 5
# An answer read on a web process's event loop waits for its turn on that loop: with a room
# arriving, half a second timed out heartbeats Redis had answered at once.
ASYNC_READ_TIMEOUT_S = 2


@cache
def _client(url: str) -> redis.Redis:
    pool = redis.BlockingConnectionPool.from_url(
        url, max_connections=POOL_SIZE, timeout=POOL_WAIT_S, socket_timeout=0.5, socket_connect_timeout=0.5
    )
    return redis.Redis(connection_pool=pool)


def redis_client() -> redis.Redis:
    return _client(settings.REDIS_URL)


def async_redis_client() -> redis.asyncio.Redis:
    loop = get_running_loop()
    if loop not in _async_clients:
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            settings.REDIS_URL, max_connections=POOL_SIZE, timeout=POOL_WAIT_S, socket_timeout=ASYNC_READ_TIMEOUT_S
        )
        _async_clients[loop] = redis.asyncio.Redis(connection_pool=pool)
    return _async_clients[loop]


EPOCH_KEY = "push:epoch"


class Numbered(NamedTuple):
    """A number of a counter in Redis, and the epoch of the data it was counted in."""

    epoch: str
    number: int


def with_epoch(pipe):
    """Queue on `pipe` what sets Redis's epoch if it is missing (see `numbered`)."""
    return pipe.set(EPOCH_KEY, time.time_ns() // 1000, nx=True)


def numbered(key: str, *, advance: bool = True) -> Numbered:
    """The counter `key` advanced by one (or as it is), with Redis's epoch.

    Counters number what is pushed so a page can tell that it missed something. Redis without
    persistence loses them when it restarts, and they start again from 1: numbers a page already
    saw. The epoch goes with them (set once, when missing, in the same round trip), so a page
    that sees another epoch knows its numbers mean nothing now and fetches what it shows again.
    """
    with redis_client().pipeline(transaction=True) as pipe:
        with_epoch(pipe)
        pipe.get(EPOCH_KEY)
        if advance:
            pipe.incr(key)
        else:
            pipe.get(key)
        _, epoch, number = pipe.execute()
    return Numbered(epoch.decode(), int(number or 0))
