"""The event bus: events are small frozen facts; each subscriber gets its own durable queue row.

Publishing happens on a unit of work (``uow.publish(event)``). When it commits, ``stage`` has inserted one
job per subscriber in the same transaction — a rolled-back change never delivers its events, and a crash
after commit loses none.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import msgspec
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from gamesched.core.queue import Job, JobQueue, NewJob

log = structlog.get_logger(__name__)

E = TypeVar("E", bound=msgspec.Struct)


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """Base for domain events: past-tense names, ids and primitives only.

    ``event_id`` tells one occurrence from another, so a handler can derive idempotency keys from it
    (a redelivered event keeps its id; the same change made twice gets two).
    """

    event_id: str = msgspec.field(default_factory=lambda: uuid.uuid4().hex)


class EventBus:
    def __init__(self, queue: JobQueue) -> None:
        self.queue = queue
        self._kinds: dict[type[Any], list[str]] = defaultdict(list)

    def subscribe(
        self,
        event_type: type[E],
        handler: Callable[[E], Awaitable[None]],
        *,
        name: str | None = None,
        max_attempts: int | None = None,
        gateway: bool = False,
    ) -> str:
        """Deliver every ``event_type`` to ``handler`` through the queue; returns the job kind used.
        ``gateway``: the handler reads the event's guild from the gateway view (``JobQueue.register``)."""
        kind = f"event.{event_type.__name__}.{name or handler.__name__}"

        async def deliver(job: Job) -> None:
            await handler(msgspec.convert(job.payload, event_type))

        self.queue.register(kind, deliver, max_attempts=max_attempts, gateway=gateway)
        self._kinds[event_type].append(kind)
        return kind

    def subscribe_batch(
        self,
        event_type: type[E],
        handler: Callable[[list[E]], Awaitable[None]],
        *,
        batch_size: int,
        name: str | None = None,
        max_attempts: int | None = None,
        gateway: bool = False,
    ) -> str:
        """Like ``subscribe``, but the handler gets up to ``batch_size`` due events at once (in the order
        they were published, on first delivery); if it raises, every event of the batch is tried again."""
        kind = f"event.{event_type.__name__}.{name or handler.__name__}"

        async def deliver(jobs: list[Job]) -> Mapping[int, Exception]:
            await handler([msgspec.convert(job.payload, event_type) for job in jobs])
            return {}

        self.queue.register_batch(
            kind, deliver, batch_size=batch_size, max_attempts=max_attempts, gateway=gateway
        )
        self._kinds[event_type].append(kind)
        return kind

    def subscribers(self, event_type: type[Any]) -> list[str]:
        return list(self._kinds.get(event_type, ()))

    async def stage(self, session: AsyncSession, events: Sequence[Any]) -> None:
        """Turn events into queue rows inside the caller's transaction."""
        jobs = [
            NewJob(kind, msgspec.to_builtins(event))
            for event in events
            for kind in self._kinds.get(type(event), ())
        ]
        if len(jobs) == 0 and events:
            log.debug("events_without_subscribers", events=[type(e).__name__ for e in events])
        await self.queue.enqueue_many(session, jobs)
