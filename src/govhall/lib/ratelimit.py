"""Hits counted per key in fixed windows, shared through the cache: one round trip to Redis.

Each app server process sees the same counters when the cache is Redis (GOVHALL_REDIS_URL):
a pipelined ``SET key 0 EX window NX`` and ``INCR key`` count a hit atomically in one round
trip, where a read-then-write (DRF's sliding window: GET the history, SET it back) takes two
and lets concurrent requests from several workers overwrite each other's hits. With the
per-process memory cache the same is ``add`` then ``incr``.
"""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def over_limit(key: str, limit: int, window_seconds: int = 60) -> bool:
    """Count one hit on ``key``; True if it is more than ``limit`` in the current window."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(full_key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.set(full_key, 0, ex=window_seconds, nx=True)
        pipe.incr(full_key)
        _created, count = pipe.execute()
        return int(count) > limit
    cache.add(key, 0, timeout=window_seconds)
    try:
        return cache.incr(key) > limit
    except ValueError:  # the window ended between add and incr: this hit opens the next one
        cache.add(key, 1, timeout=window_seconds)
        return False
