"""Live updates for open pages: "topic changed" signals fanned out to Server-Sent Events streams.

In one process an in-memory hub is enough; with Redis the signal crosses processes (the job that notices a
change may run in another process than the browser's SSE connection).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator

import structlog
from redis.asyncio import Redis

log = structlog.get_logger(__name__)

CHANNEL_PREFIX = "gamesched:live:"


class LiveHub:
    """Publish a topic name; every subscriber of that topic wakes up."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[str]]] = defaultdict(set)

    async def publish(self, topic: str) -> None:
        self.deliver_local(topic)

    def deliver_local(self, topic: str) -> None:
        for queue in list(self._subscribers.get(topic, ())):
            if queue.empty():  # one pending signal per subscriber is enough: pages re-read the state
                queue.put_nowait(topic)

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
        self._subscribers[topic].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[topic].discard(queue)
            if not self._subscribers[topic]:
                self._subscribers.pop(topic, None)

    async def run(self) -> None:
        """Nothing to do in memory; the Redis hub listens here."""

    async def close(self) -> None:
        self._subscribers.clear()


class RedisLiveHub(LiveHub):
    """Publishes through Redis pub/sub so every process's subscribers hear it."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self._redis: Redis = Redis.from_url(url)

    async def publish(self, topic: str) -> None:
        try:
            await self._redis.publish(CHANNEL_PREFIX + topic, "1")
        except Exception as exc:  # live updates are best effort; never fail the caller
            log.warning("live_publish_failed", error=str(exc))
            self.deliver_local(topic)

    async def run(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub()
                await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                async for message in pubsub.listen():
                    if message.get("type") == "pmessage":
                        channel = message["channel"]
                        name = channel.decode() if isinstance(channel, bytes) else str(channel)
                        self.deliver_local(name.removeprefix(CHANNEL_PREFIX))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live_listen_failed", error=str(exc))
                await asyncio.sleep(1)

    async def close(self) -> None:
        await super().close()
        await self._redis.aclose()


def create_live_hub(redis_url: str | None) -> LiveHub:
    return RedisLiveHub(redis_url) if redis_url else LiveHub()
