"""A small key-value cache with expiry: Redis when GAMESCHED_REDIS_URL is set, PostgreSQL otherwise.

What it holds (sessions, login states, a form's notice or draft between a POST and the GET after it) must be
seen by every web process of a deployment, so without Redis it lives in the one thing they all share, the
database (table ``cache_entries``); ``MemoryCache`` is for tests and tools that run one process.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from redis.asyncio import Redis
from sqlalchemy import CursorResult, TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gamesched.core.clock import Clock, SystemClock
from gamesched.core.db import CONNECT_FAILURES, connection_lost
from gamesched.core.driver import DriverStatement
from gamesched.core.errors import DatabaseUnavailable


class Cache(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, *, ttl_seconds: float) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def add(self, key: str, value: bytes, *, ttl_seconds: float) -> bool:
        """Set ``key`` unless it holds a value: of two concurrent callers, only one is told True."""
        ...

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

    async def add(self, key: str, value: bytes, *, ttl_seconds: float) -> bool:
        if await self.get(key) is not None:
            return False
        await self.set(key, value, ttl_seconds=ttl_seconds)
        return True

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

    async def add(self, key: str, value: bytes, *, ttl_seconds: float) -> bool:
        return bool(
            await self._redis.set(self._prefix + key, value, px=max(1, int(ttl_seconds * 1000)), nx=True)
        )

    async def pop(self, key: str) -> bytes | None:
        value = await self._redis.getdel(self._prefix + key)
        return value.encode() if isinstance(value, str) else value

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()


T = TypeVar("T")

_GET = DriverStatement(text("SELECT value FROM cache_entries WHERE key = :key AND expires_at > :now"))
_SET = text(
    "INSERT INTO cache_entries (key, value, expires_at) VALUES (:key, :value, :expires)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at"
)
#: Inserts, or takes over an expired row; a live row stays and no row comes back.
_ADD = text(
    "INSERT INTO cache_entries (key, value, expires_at) VALUES (:key, :value, :expires)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at"
    " WHERE cache_entries.expires_at <= :now RETURNING true"
)
_DELETE = text("DELETE FROM cache_entries WHERE key = :key")
_POP = text("DELETE FROM cache_entries WHERE key = :key RETURNING value, expires_at > :now AS live")
_PURGE = text("DELETE FROM cache_entries WHERE expires_at <= :now")


class PostgresCache:
    """The cache in table ``cache_entries``: each call is one autocommitted statement (one round trip, on
    the app's pool). Expired rows are never returned; ``purge_expired`` (run by the queue housekeeping)
    deletes them. A database out of reach raises ``DatabaseUnavailable`` (a 503, like any other read); a
    pooled connection that died with its server is replaced once, as a unit of work does."""

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._clock = clock or SystemClock()

    def _now(self) -> datetime:
        return self._clock.now().astimezone(UTC)

    async def _execute(self, statement: TextClause, params: dict[str, Any]) -> CursorResult[Any]:
        return await self._on_connection(lambda conn: conn.execute(statement, params))

    async def _on_connection(self, run: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        for attempt in (1, 2):
            try:
                conn = await self._engine.connect()
            except CONNECT_FAILURES as exc:
                raise DatabaseUnavailable() from exc
            try:
                return await run(conn)
            except CONNECT_FAILURES as exc:
                if not connection_lost(exc):
                    raise
                if attempt == 2:
                    raise DatabaseUnavailable() from exc
            finally:
                with contextlib.suppress(*CONNECT_FAILURES):
                    await conn.close()
        raise AssertionError("unreachable")

    async def get(self, key: str) -> bytes | None:
        # Every signed-in request reads its session here: on the driver (``DriverStatement``).
        rows = await self._on_connection(lambda conn: _GET.rows(conn, {"key": key, "now": self._now()}))
        return bytes(rows[0].value) if rows else None

    async def set(self, key: str, value: bytes, *, ttl_seconds: float) -> None:
        expires = datetime.fromtimestamp(self._now().timestamp() + ttl_seconds, UTC)
        await self._execute(_SET, {"key": key, "value": value, "expires": expires})

    async def delete(self, key: str) -> None:
        await self._execute(_DELETE, {"key": key})

    async def add(self, key: str, value: bytes, *, ttl_seconds: float) -> bool:
        now = self._now()
        expires = datetime.fromtimestamp(now.timestamp() + ttl_seconds, UTC)
        added = await self._execute(_ADD, {"key": key, "value": value, "expires": expires, "now": now})
        return added.first() is not None

    async def pop(self, key: str) -> bytes | None:
        row = (await self._execute(_POP, {"key": key, "now": self._now()})).one_or_none()
        return bytes(row.value) if row is not None and row.live else None

    async def purge_expired(self) -> int:
        result = await self._execute(_PURGE, {"now": self._now()})
        return int(result.rowcount or 0)

    async def ping(self) -> bool:
        return (await self._execute(text("SELECT true"), {})).scalar_one() is True

    async def close(self) -> None:
        """Nothing of its own to close: the engine belongs to the app."""


def create_cache(redis_url: str | None, engine: AsyncEngine, clock: Clock | None = None) -> Cache:
    return RedisCache(redis_url) if redis_url else PostgresCache(engine, clock)
