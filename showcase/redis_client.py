"""One pooled Redis client per URL, for the rate limit and the push layer's flags."""

from functools import cache

import redis
from django.conf import settings


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def redis_client() -> redis.Redis:
    return _client(settings.REDIS_URL)
