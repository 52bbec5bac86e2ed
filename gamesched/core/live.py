"""Live updates for open pages: "topic changed" signals fanned out to Server-Sent Events streams.

The job that notices a change may run in another process than the browser's SSE connection, so the signal
crosses processes: through Redis pub/sub when ``GAMESCHED_REDIS_URL`` is set, otherwise through PostgreSQL's
LISTEN/NOTIFY (channel ``gamesched_live``), which every process of a deployment shares already. The plain
in-memory ``LiveHub`` serves tests of single pieces.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator

import asyncpg
import structlog
from redis.asyncio import Redis
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, TEXT
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger(__name__)

CHANNEL_PREFIX = "gamesched:live:"


class LiveHub:
    """Publish a topic name; every subscriber of that topic wakes up."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[str]]] = defaultdict(set)

    async def publish(self, topic: str) -> None:
        self.deliver_local(topic)

    async def publish_many(self, topics: list[str]) -> None:
        """Publish several topics (a hub that crosses processes sends them together)."""
        for topic in topics:
            await self.publish(topic)

    def deliver_local(self, topic: str) -> None:
        for queue in list(self._subscribers.get(topic, ())):
            if queue.empty():  # one pending signal per subscriber is enough: pages re-read the state
                queue.put_nowait(topic)

    def wake_all(self) -> None:
        """Signal every open subscription (after signals may have been missed: pages re-read the state)."""
        for topic in list(self._subscribers):
            self.deliver_local(topic)

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


#: The NOTIFY channel; the payload is the topic (a few dozen bytes, far below PostgreSQL's 8000).
PG_CHANNEL = "gamesched_live"
#: A LISTEN connection that heard nothing this long is pinged, so a silently dead one is noticed.
MAX_IDLE_SECONDS = 30.0

_NOTIFY = text("SELECT pg_notify(:channel, topic) FROM unnest(:topics) AS topic").bindparams(
    bindparam("topics", type_=ARRAY(TEXT))
)


class PostgresLiveHub(LiveHub):
    """Publishes with ``pg_notify`` (one autocommitted statement on the app's pool per batch of topics) and
    listens on a connection of its own; every process's subscribers hear it, the publisher's included.

    While the LISTEN connection is down, signals are delivered in this process only; when it is back, every
    open page is told to re-read, since it may have missed a change meanwhile."""

    def __init__(self, *, engine: AsyncEngine, listen_dsn: str) -> None:
        super().__init__()
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._listen_dsn = listen_dsn
        self._listening = asyncio.Event()

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    async def publish(self, topic: str) -> None:
        await self.publish_many([topic])

    async def publish_many(self, topics: list[str]) -> None:
        if not topics:
            return
        if not self._listening.is_set():
            for topic in topics:  # our own subscribers would not hear the notification: tell them here
                self.deliver_local(topic)
        try:
            async with self._engine.connect() as conn:
                await conn.execute(_NOTIFY, {"channel": PG_CHANNEL, "topics": topics})
        except Exception as exc:  # live updates are best effort; never fail the caller
            log.warning("live_publish_failed", error=str(exc))
            for topic in topics:
                self.deliver_local(topic)

    async def run(self) -> None:
        backoff = 0.25
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self._listen_dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(PG_CHANNEL, self._heard)
                self._listening.set()
                self.wake_all()
                backoff = 0.25
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), MAX_IDLE_SECONDS)
                    if not lost.is_set():
                        await conn.execute("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live_listen_lost", error=str(exc), retry_in=backoff)
            finally:
                self._listening.clear()
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), 2)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        self.deliver_local(str(payload))


def create_live_hub(redis_url: str | None, *, engine: AsyncEngine, listen_dsn: str) -> LiveHub:
    if redis_url:
        return RedisLiveHub(redis_url)
    return PostgresLiveHub(engine=engine, listen_dsn=listen_dsn)
