"""Hits counted per key in fixed windows, shared through the cache: one command to Redis.

Each app server process sees the same counters when the cache is Redis (GOVHALL_REDIS_URL):
a small Lua script increments the key and, on the window's first hit, sets its expiry. Redis
runs a script whole, so a hit is counted atomically in one round trip, and no counter is left
without its expiry. A read-then-write (DRF's sliding window: GET the history, SET it back)
takes two and lets concurrent requests from several workers overwrite each other's hits; a
pipelined ``SET NX EX`` + ``INCR`` is one round trip too, but redis-py builds a pipeline
object per call (320–400 µs of CPU a hit here, against 160 µs for the script). With the
per-process memory cache the same is ``add`` then ``incr``.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

# KEYS[1]: the counter; ARGV[1]: the window in seconds. Returns the count with this hit:
_COUNT_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_script: Any = None


def over_limit(key: str, limit: int, window_seconds: int = 60) -> bool:
    """Count one hit on ``key``; True if it is more than ``limit`` in the current window."""
    return count_hit(key, window_seconds) > limit


def count_hit(key: str, window_seconds: int = 60) -> int:
    """Count one hit on ``key``; return how many it makes in the current window, this one included."""
    global _script
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(full_key, write=True)
        # The script is sent by its digest, with the client of this call; redis-py sends its
        # text again if Redis has forgotten it (a restart, SCRIPT FLUSH):
        if _script is None:
            _script = client.register_script(_COUNT_HIT)
        return int(_script(keys=[full_key], args=[window_seconds], client=client))
    cache.add(key, 0, timeout=window_seconds)
    try:
        return int(cache.incr(key))
    except ValueError:  # the window ended between add and incr: this hit opens the next one
        cache.add(key, 1, timeout=window_seconds)
        return 1
