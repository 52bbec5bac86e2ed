"""Live-update fan-out, in memory and through a real Redis."""

from __future__ import annotations

import asyncio
import socket

import pytest

from gamesched.core.live import LiveHub, RedisLiveHub


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
    runner = asyncio.create_task(listener.run())
    try:
        async with listener.subscribe("game:abc") as queue:
            for _ in range(100):  # the subscription takes a moment to be in place
                await publisher.publish("game:abc")
                try:
                    assert await asyncio.wait_for(queue.get(), 0.05) == "game:abc"
                    break
                except TimeoutError:
                    continue
            else:
                raise AssertionError("no signal crossed Redis")
    finally:
        runner.cancel()
        await publisher.close()
        await listener.close()
