"""Live-update fan-out: in memory, through a real Redis, and through PostgreSQL LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched.core.db import create_engine
from gamesched.core.live import LiveHub, PostgresLiveHub, RedisLiveHub


async def test_subscribers_of_a_topic_wake_and_others_do_not() -> None:
    hub = LiveHub()
    async with hub.subscribe("game:1") as one, hub.subscribe("game:2") as two:
        await hub.publish("game:1")
        assert await asyncio.wait_for(one.get(), 1) == "game:1"
        assert two.empty()


async def test_a_burst_of_changes_leaves_one_pending_signal() -> None:
    hub = LiveHub()
    async with hub.subscribe("game:1") as queue:
        for _ in range(50):
            await hub.publish("game:1")
        assert queue.qsize() == 1


def _redis_running() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_running(), reason="needs Redis on 127.0.0.1:6379")
async def test_redis_hub_carries_signals_between_hubs() -> None:
    publisher, listener = RedisLiveHub("redis://127.0.0.1:6379/0"), RedisLiveHub("redis://127.0.0.1:6379/0")
    topic = f"game:{uuid.uuid4().hex}"  # the shared Redis: no signal from another process or test run
    runner = asyncio.create_task(listener.run())
    try:
        async with listener.subscribe(topic) as queue:
            for _ in range(100):  # the subscription takes a moment to be in place
                await publisher.publish(topic)
                try:
                    assert await asyncio.wait_for(queue.get(), 0.05) == topic
                    break
                except TimeoutError:
                    continue
            else:
                raise AssertionError("no signal crossed Redis")
    finally:
        runner.cancel()
        await publisher.close()
        await listener.close()


async def test_postgres_hub_carries_signals_between_processes(engine: AsyncEngine, database_url: str) -> None:
    """Two hubs on one database (two processes, no Redis): a publish on one wakes the other's subscribers,
    the publisher's own included, with one statement for a batch of topics."""
    from gamesched.app import asyncpg_dsn

    other_engine = create_engine(database_url, pool_size=2)
    publisher = PostgresLiveHub(engine=engine, listen_dsn=asyncpg_dsn(engine))
    listener = PostgresLiveHub(engine=other_engine, listen_dsn=asyncpg_dsn(other_engine))
    runners = [asyncio.create_task(hub.run()) for hub in (publisher, listener)]
    try:
        for _ in range(500):
            if publisher.listening and listener.listening:
                break
            await asyncio.sleep(0.01)
        async with listener.subscribe("game:b") as there, publisher.subscribe("game:a") as here:
            await publisher.publish_many(["game:a", "game:b", "game:c"])
            assert await asyncio.wait_for(there.get(), 5) == "game:b"
            assert await asyncio.wait_for(here.get(), 5) == "game:a"
    finally:
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, return_exceptions=True)
        await other_engine.dispose()


async def test_postgres_hub_delivers_locally_while_not_listening(engine: AsyncEngine) -> None:
    hub = PostgresLiveHub(engine=engine, listen_dsn="postgresql://127.0.0.1:1/none")
    async with hub.subscribe("game:1") as queue:
        await hub.publish("game:1")
        assert queue.get_nowait() == "game:1"
