"""The Redis cache keeps one client per connection pool and still reads and writes Redis."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis

from govhall.lib.cache import RedisCache
from govhall.lib.tests.redis_db import TEST_REDIS_CACHE_URL

LOCATION = TEST_REDIS_CACHE_URL


@pytest.fixture
def cache() -> Iterator[RedisCache]:
    backend = RedisCache(LOCATION, {"KEY_PREFIX": "test-cache"})
    backend.clear()
    yield backend
    backend.clear()


def test_values_go_to_redis_and_come_back(cache: RedisCache) -> None:
    cache.set("greeting", {"text": "你好"}, 30)
    assert cache.get("greeting") == {"text": "你好"}
    assert redis.Redis.from_url(LOCATION).ttl(cache.make_and_validate_key("greeting")) > 0
    assert cache.get("missing", "default") == "default"


def test_one_client_serves_every_call_and_every_thread(cache: RedisCache) -> None:
    first = cache._cache.get_client("a", write=True)
    assert cache._cache.get_client("b") is first
    seen: list[object] = []

    def work(n: int) -> None:
        for i in range(50):
            cache.set(f"k{n}-{i}", i)
            assert cache.get(f"k{n}-{i}") == i
        seen.append(cache._cache.get_client("c"))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [first] * 4
    assert cache.get_many([f"k{n}-49" for n in range(4)]) == {f"k{n}-49": 49 for n in range(4)}
