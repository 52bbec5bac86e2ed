from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched.app import asyncpg_dsn
from gamesched.core.bus import EventBus
from gamesched.core.clock import Clock, SystemClock
from gamesched.core.db import Database
from gamesched.core.dispatcher import Dispatcher
from gamesched.core.metrics import Metrics
from gamesched.core.queue import Job, JobQueue


@dataclass
class QueueKit:
    """A queue, bus and database on the test's engine, plus running dispatchers to stop at the end."""

    engine: AsyncEngine
    clock: Clock
    queue: JobQueue = field(init=False)
    bus: EventBus = field(init=False)
    db: Database = field(init=False)
    metrics: Metrics = field(default_factory=Metrics)
    _running: list[tuple[Dispatcher, asyncio.Task[None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.queue = JobQueue(clock=self.clock, max_attempts=3)
        self.bus = EventBus(self.queue)
        self.db = Database(self.engine, stage_events=self.bus.stage)

    def dispatcher(
        self,
        *,
        engine: AsyncEngine | None = None,
        queue: JobQueue | None = None,
        name: str = "d1",
        concurrency: int = 8,
        shards: tuple[int, list[int]] | None = None,
    ) -> Dispatcher:
        engine = engine or self.engine
        return Dispatcher(
            queue=queue or self.queue,
            engine=engine,
            listen_dsn=asyncpg_dsn(engine),
            metrics=self.metrics,
            concurrency=concurrency,
            name=name,
            shards=shards,
        )

    async def start(self, dispatcher: Dispatcher) -> Dispatcher:
        task = asyncio.create_task(dispatcher.run())
        self._running.append((dispatcher, task))
        for _ in range(500):
            if dispatcher.listening:
                break
            await asyncio.sleep(0.01)
        assert dispatcher.listening, "dispatcher did not start listening"
        return dispatcher

    async def stop_all(self) -> None:
        for dispatcher, task in self._running:
            await dispatcher.stop(grace_seconds=5)
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)
        self._running.clear()

    async def count(self, where: str = "true") -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(text(f"SELECT count(*) FROM jobs WHERE {where}"))).scalar_one())


@pytest.fixture
async def kit(engine: AsyncEngine, clock: Clock) -> AsyncIterator[QueueKit]:
    kit = QueueKit(engine=engine, clock=clock)
    yield kit
    await kit.stop_all()


@pytest.fixture
async def live_kit(engine: AsyncEngine) -> AsyncIterator[QueueKit]:
    """Like ``kit`` but on the real clock, for dispatcher loops that sleep until due times."""
    kit = QueueKit(engine=engine, clock=SystemClock())
    yield kit
    await kit.stop_all()


def slow_then_quick(kit: QueueKit) -> tuple[asyncio.Event, list[str]]:
    """Kinds ``slow`` (runs until the event is set) and ``quick``; the list records which finished, in order."""
    release = asyncio.Event()
    ran: list[str] = []

    async def slow(job: Job) -> None:
        await release.wait()
        ran.append("slow")

    async def quick(job: Job) -> None:
        ran.append("quick")

    kit.queue.register("slow", slow)
    kit.queue.register("quick", quick)
    return release, ran


async def wait_until(predicate: Callable[[], bool], *, within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@pytest.fixture
async def kit_two_engines(database_url: str) -> AsyncIterator[tuple[QueueKit, AsyncEngine]]:
    """Two independent engines (two connection pools, two LISTEN connections) on one database."""
    from gamesched.core.db import create_engine, use_app_role

    first, second = create_engine(database_url), create_engine(database_url)
    await use_app_role(first)
    await use_app_role(second)
    kit = QueueKit(engine=first, clock=SystemClock())
    yield kit, second
    await kit.stop_all()
    await first.dispose()
    await second.dispose()
