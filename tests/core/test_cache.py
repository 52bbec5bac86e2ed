"""The cache in PostgreSQL (no Redis configured): expiry on the injected clock, single-use pops, purging."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched.core.cache import PostgresCache, RedisCache
from gamesched.core.clock import FakeClock
from gamesched.core.housekeeping import PURGE_EVERY, QueueHousekeeping
from tests.core.conftest import QueueKit


async def test_values_are_kept_until_they_expire_and_overwritten_in_place(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    cache = PostgresCache(engine, clock)
    await cache.set("k", b"one", ttl_seconds=60)
    await cache.set("k", b"two", ttl_seconds=60)
    assert await cache.get("k") == b"two"
    clock.advance(timedelta(seconds=59))
    assert await cache.get("k") == b"two"
    clock.advance(timedelta(seconds=1))
    assert await cache.get("k") is None
    assert await cache.pop("k") is None, "an expired value is not handed out by pop either"
    assert await cache.ping() is True


async def test_two_processes_share_values_and_a_pop_hands_one_out_once(
    engine: AsyncEngine, database_url: str, clock: FakeClock
) -> None:
    from gamesched.core.db import create_engine, use_app_role

    other_engine = create_engine(database_url, pool_size=5)
    await use_app_role(other_engine)
    try:
        here, there = PostgresCache(engine, clock), PostgresCache(other_engine, clock)
        await here.set("login", b"state", ttl_seconds=600)
        assert await there.get("login") == b"state"
        popped = await asyncio.gather(*(cache.pop("login") for cache in (here, there, here, there)))
        assert sorted(popped, key=lambda v: v is None) == [b"state", None, None, None]
        await there.set("gone", b"x", ttl_seconds=600)
        await here.delete("gone")
        assert await there.get("gone") is None
    finally:
        await other_engine.dispose()


async def test_housekeeping_deletes_expired_entries_and_keeps_live_ones(
    kit: QueueKit, clock: FakeClock
) -> None:
    cache = PostgresCache(kit.engine, clock)
    await cache.set("short", b"1", ttl_seconds=60)
    await cache.set("long", b"2", ttl_seconds=PURGE_EVERY.total_seconds() * 2)
    await QueueHousekeeping(db=kit.db, queue=kit.queue).schedule()
    clock.advance(PURGE_EVERY)
    assert await kit.dispatcher().run_due() == 1

    async with kit.engine.connect() as conn:
        keys = set((await conn.execute(text("SELECT key FROM cache_entries"))).scalars())
    assert keys == {"long"}
    assert await cache.get("long") == b"2"


async def test_add_lets_exactly_one_of_several_processes_set_a_key(
    engine: AsyncEngine, database_url: str, clock: FakeClock
) -> None:
    from gamesched.core.db import create_engine, use_app_role

    other_engine = create_engine(database_url, pool_size=5)
    await use_app_role(other_engine)
    try:
        here, there = PostgresCache(engine, clock), PostgresCache(other_engine, clock)
        added = await asyncio.gather(*(c.add("submit", b"mine", ttl_seconds=60) for c in (here, there) * 4))
        assert sorted(added) == [False] * 7 + [True]
        clock.advance(timedelta(seconds=60))
        assert await there.add("submit", b"again", ttl_seconds=60) is True, "an expired value is taken over"
        assert await here.get("submit") == b"again"
    finally:
        await other_engine.dispose()


def _redis_running() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_running(), reason="needs Redis on 127.0.0.1:6379")
async def test_redis_add_lets_exactly_one_of_several_callers_set_a_key() -> None:
    prefix = f"test:{uuid.uuid4().hex}:"  # two processes of one deployment share the prefix
    caches = [RedisCache("redis://127.0.0.1:6379/0", prefix=prefix) for _ in range(2)]
    try:
        added = await asyncio.gather(*(c.add("submit", b"mine", ttl_seconds=60) for c in caches * 4))
        assert sorted(added) == [False] * 7 + [True]
        assert await caches[1].get("submit") == b"mine"
    finally:
        for cache in caches:
            await cache.delete("submit")
            await cache.close()
