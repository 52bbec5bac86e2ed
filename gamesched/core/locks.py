"""Named locks that hold across every process of a deployment (PostgreSQL advisory locks).

Some work must never run twice at once for the same thing, whichever process runs it: editing one game's
Discord announcement, for one (two edits racing could leave the older state on the message). In one process
an ``asyncio.Lock`` per name is enough; across processes the lock lives in the database every process shares.

``hold(name)`` first takes the in-process lock of that name (so waiting inside one process costs no database
work), then a session-level advisory lock keyed on a 64-bit hash of the name, on one connection of this
object's own: ``pg_try_advisory_lock`` to take it (one round trip), ``pg_advisory_unlock`` to give it back
(one more). When another process holds it, this one tries again every ``POLL_SECONDS`` — that only happens
when two processes work on the same name at the same moment. The connection is opened at first use (a process
that never takes a lock never opens it); if it is lost, PostgreSQL releases every lock it held, so a process
that dies mid-work never blocks the others, and the next ``hold`` opens a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import weakref
from collections.abc import AsyncIterator

import asyncpg
import structlog

log = structlog.get_logger(__name__)

#: How often a process retries a lock another process holds.
POLL_SECONDS = 0.05


def lock_key(name: str) -> int:
    """The advisory lock key of ``name``: a signed 64-bit hash (PostgreSQL's bigint)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


class AdvisoryLocks:
    """``async with locks.hold("announce:<game id>"): ...`` — one holder at a time across all processes."""

    def __init__(self, dsn: str, *, poll_seconds: float = POLL_SECONDS) -> None:
        self._dsn = dsn
        self._poll = poll_seconds
        self._conn: asyncpg.Connection | None = None
        self._io = asyncio.Lock()  # one statement at a time on the connection
        self._local: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @contextlib.asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        local = self._local.get(name)
        if local is None:
            local = self._local[name] = asyncio.Lock()
        async with local:
            key = lock_key(name)
            conn = await self._take(key)
            try:
                yield
            finally:
                await self._give_back(conn, key)

    async def _take(self, key: int) -> asyncpg.Connection:
        while True:
            async with self._io:
                conn = await self._connection()
                try:
                    taken = await conn.fetchval("SELECT pg_try_advisory_lock($1)", key)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    await self._drop(conn)
                    raise
            if taken:
                return conn
            await asyncio.sleep(self._poll)

    async def _give_back(self, conn: asyncpg.Connection, key: int) -> None:
        async with self._io:
            if self._conn is None or self._conn is not conn or self._conn.is_closed():
                return  # that connection is gone, and its locks with it
            conn = self._conn
            try:
                await conn.fetchval("SELECT pg_advisory_unlock($1)", key)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                # The lock must not outlive the work: closing the connection releases it (and this
                # process's other locks, whose holders then merely lose protection for a moment).
                log.warning("advisory_unlock_failed", error=str(exc))
                await self._drop(conn)

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self._dsn)
        return self._conn

    async def _drop(self, conn: asyncpg.Connection) -> None:
        if self._conn is conn:
            self._conn = None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.close(), 2)

    async def close(self) -> None:
        if self._conn is not None:
            await self._drop(self._conn)
