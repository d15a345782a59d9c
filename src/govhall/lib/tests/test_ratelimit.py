"""Fixed-window hit counters, in the per-process cache and shared through Redis."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from django.core.cache import cache

from govhall.lib.ratelimit import over_limit
from govhall.lib.tests.redis_db import TEST_REDIS_CACHE_URL

LOCATION = TEST_REDIS_CACHE_URL


@pytest.fixture(params=["memory", "redis"])
def backend(request: Any, settings: Any) -> Iterator[str]:
    if request.param == "redis":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": LOCATION}}
    cache.clear()
    yield request.param
    cache.clear()


def test_the_hit_over_the_limit_is_refused_and_each_key_counts_alone(backend: str) -> None:
    assert [over_limit("rate:10.0.0.1", 3) for _ in range(5)] == [False, False, False, True, True]
    assert over_limit("rate:10.0.0.2", 3) is False


def test_hits_from_several_threads_are_all_counted(backend: str) -> None:
    refused: list[bool] = []

    def hit() -> None:
        for _ in range(25):
            refused.append(over_limit("rate:crowd", 60))

    threads = [threading.Thread(target=hit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert refused.count(True) == 40  # 100 hits, 60 let through: none lost to a race


def test_in_redis_the_counter_is_where_every_app_server_sees_it_and_ends_with_its_window(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": LOCATION}}
    cache.clear()
    over_limit("rate:shared", 5, window_seconds=30)
    over_limit("rate:shared", 5, window_seconds=30)
    server = redis.Redis.from_url(LOCATION)
    (key,) = server.keys("*rate:shared*")
    assert int(server.get(key) or 0) == 2
    assert 0 < server.ttl(key) <= 30
    cache.clear()


def test_in_redis_hits_are_still_counted_after_redis_forgot_the_counting_script(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": LOCATION}}
    cache.clear()
    assert [over_limit("rate:restart", 2) for _ in range(2)] == [False, False]
    redis.Redis.from_url(LOCATION).script_flush()  # as after a restart of Redis
    assert over_limit("rate:restart", 2) is True
    cache.clear()
