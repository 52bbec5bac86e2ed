"""A small key-value cache with expiry: Redis when GAMESCHED_REDIS_URL is set, process memory otherwise."""

from __future__ import annotations

import time
from typing import Protocol

from redis.asyncio import Redis

from gamesched.core.clock import Clock, SystemClock


class Cache(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, *, ttl_seconds: float) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def pop(self, key: str) -> bytes | None:
        """Read and delete in one step: of two concurrent callers, only one gets the value."""
        ...

    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


class MemoryCache:
    """Single-process cache; expired entries are dropped when read."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._items: dict[str, tuple[float, bytes]] = {}

    def _now(self) -> float:
        return self._clock.now().timestamp() if not isinstance(self._clock, SystemClock) else time.time()

    async def get(self, key: str) -> bytes | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, value = item
        if expires <= self._now():
            self._items.pop(key, None)
            return None
        return value

    async def set(self, key: str, value: bytes, *, ttl_seconds: float) -> None:
        self._items[key] = (self._now() + ttl_seconds, value)

    async def delete(self, key: str) -> None:
        self._items.pop(key, None)

    async def pop(self, key: str) -> bytes | None:
        value = await self.get(key)
        self._items.pop(key, None)
        return value

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._items.clear()


class RedisCache:
    def __init__(self, url: str, *, prefix: str = "gamesched:") -> None:
        self._redis: Redis = Redis.from_url(url)
        self._prefix = prefix

    async def get(self, key: str) -> bytes | None:
        value = await self._redis.get(self._prefix + key)
        return value.encode() if isinstance(value, str) else value

    async def set(self, key: str, value: bytes, *, ttl_seconds: float) -> None:
        await self._redis.set(self._prefix + key, value, px=max(1, int(ttl_seconds * 1000)))

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    async def pop(self, key: str) -> bytes | None:
        value = await self._redis.getdel(self._prefix + key)
        return value.encode() if isinstance(value, str) else value

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()


def create_cache(redis_url: str | None, clock: Clock | None = None) -> Cache:
    return RedisCache(redis_url) if redis_url else MemoryCache(clock)
