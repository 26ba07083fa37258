"""Pooled Redis clients: one per URL for sync code (the rate limit, the push layer's flags),
one per event loop for async code (an asyncio connection belongs to the loop that opened it)."""

import weakref
from asyncio import AbstractEventLoop, get_running_loop
from functools import cache

import redis
import redis.asyncio
from django.conf import settings

_async_clients: "weakref.WeakKeyDictionary[AbstractEventLoop, redis.asyncio.Redis]" = weakref.WeakKeyDictionary()


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def redis_client() -> redis.Redis:
    return _client(settings.REDIS_URL)


def async_redis_client() -> redis.asyncio.Redis:
    loop = get_running_loop()
    if loop not in _async_clients:
        _async_clients[loop] = redis.asyncio.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5)
    return _async_clients[loop]
