"""The durable job queue: one table of work items (see migration 0001) and the handler registry.

A job is written in the same transaction as the change that causes it, so it exists exactly when that
change does. The dispatcher (core/dispatcher.py) runs due jobs; handlers must be idempotent because
delivery is at-least-once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from gamesched.core.clock import Clock

DEFAULT_MAX_ATTEMPTS = 6

_INSERT = """
    INSERT INTO jobs (kind, payload, due_at, max_attempts, dedupe_key, guild_id)
    VALUES (:kind, CAST(:payload AS jsonb), :due_at, :max_attempts, :dedupe_key, :guild_id)
    ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL AND state = 'pending'
"""
_REPLACE = text(
    _INSERT
    + """
    DO UPDATE SET kind = EXCLUDED.kind, payload = EXCLUDED.payload, due_at = EXCLUDED.due_at,
                  max_attempts = EXCLUDED.max_attempts, attempts = 0, last_error = NULL,
                  guild_id = EXCLUDED.guild_id
    """
)
#: Coalescing: a pending job with the same key already covers this one (and keeps its earlier due time).
_KEEP = text(_INSERT + " DO NOTHING")


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    due_at: datetime
    dedupe_key: str | None


JobHandler = Callable[[Job], Awaitable[None]]
#: Runs several jobs of one kind at once and answers which of them failed (job id → the error, e.g.
#: ``RetryLater``); every job not in the answer is done. Raising fails the whole batch.
BatchHandler = Callable[[list[Job]], Awaitable[Mapping[int, Exception]]]


@dataclass(frozen=True, slots=True)
class NewJob:
    kind: str
    payload: Mapping[str, Any]
    due_at: datetime | None = None
    dedupe_key: str | None = None
    #: With a dedupe key: replace the pending job (move it, new payload) or keep it and drop this one.
    replace: bool = True


class RetryLater(Exception):
    """Raised by a handler to be run again after ``seconds`` (e.g. Discord's ``retry_after``)."""

    def __init__(self, seconds: float, reason: str = "retry requested") -> None:
        super().__init__(reason)
        self.seconds = seconds


class Postpone(Exception):
    """Raised by a handler (or answered by a batch handler) for a job that could not start yet — e.g. a DM
    whose recipient's channel is at Discord's per-channel limit: run it after ``seconds``. Not an attempt,
    and not a failure: a job may be postponed any number of times."""

    def __init__(self, seconds: float, reason: str = "postponed") -> None:
        super().__init__(reason)
        self.seconds = seconds


@dataclass(frozen=True, slots=True)
class Registration:
    """How one job kind runs: one job per handler call, or up to ``batch_size`` per ``batch_handler`` call."""

    handler: JobHandler | None
    max_attempts: int
    max_concurrency: int | None
    batch_handler: BatchHandler | None = None
    batch_size: int = 1
    #: Reads the job's guild from the gateway view: claimed only where that guild's shard is held.
    gateway: bool = False


class JobQueue:
    """Writes jobs and knows which handler runs each kind."""

    def __init__(self, *, clock: Clock, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
        self.clock = clock
        self.default_max_attempts = max_attempts
        self._handlers: dict[str, Registration] = {}

    def register(
        self,
        kind: str,
        handler: JobHandler,
        *,
        max_attempts: int | None = None,
        max_concurrency: int | None = None,
        gateway: bool = False,
    ) -> None:
        """Run ``kind`` with ``handler``. ``max_concurrency`` caps how many run at once in this process, so
        slow work (DMs waiting out Discord's rate limits) cannot take every slot from the rest. ``gateway``:
        the handler needs its guild in this process's gateway view, so with sharding a job of the kind is
        claimed only by a process holding the shard of its guild (the payload's ``guild_id``)."""
        attempts = max_attempts or self.default_max_attempts
        self._add(kind, Registration(handler, attempts, max_concurrency, gateway=gateway))

    def register_batch(
        self,
        kind: str,
        handler: BatchHandler,
        *,
        batch_size: int,
        max_concurrency: int = 1,
        max_attempts: int | None = None,
        gateway: bool = False,
    ) -> None:
        """Run ``kind`` in batches: the dispatcher claims up to ``batch_size`` due jobs of the kind at once
        (earliest due first) and hands them to ``handler`` together, at most ``max_concurrency`` batches
        at a time. For work that is cheaper together (DMs: one look-up and one record for many)."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        registration = Registration(
            None, max_attempts or self.default_max_attempts, max_concurrency, handler, batch_size, gateway
        )
        self._add(kind, registration)

    def _add(self, kind: str, registration: Registration) -> None:
        if kind in self._handlers:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self._handlers[kind] = registration

    def registration(self, kind: str) -> Registration | None:
        return self._handlers.get(kind)

    def handler_for(self, kind: str) -> JobHandler | None:
        registration = self._handlers.get(kind)
        return registration.handler if registration else None

    @property
    def kinds(self) -> list[str]:
        return sorted(self._handlers)

    @property
    def gateway_kinds(self) -> list[str]:
        """Kinds whose handlers read their guild from the gateway view (routed to its shard)."""
        return sorted(k for k, r in self._handlers.items() if r.gateway)

    def concurrency_caps(self) -> dict[str, int]:
        return {k: r.max_concurrency for k, r in self._handlers.items() if r.max_concurrency is not None}

    async def enqueue(
        self,
        conn: AsyncSession | AsyncConnection,
        kind: str,
        payload: Mapping[str, Any] | None = None,
        *,
        due_at: datetime | None = None,
        dedupe_key: str | None = None,
        replace: bool = True,
    ) -> None:
        """Add one job. A pending job with the same dedupe key is replaced (moved, new payload), or with
        ``replace=False`` kept as it is, which coalesces bursts into one run."""
        await self.enqueue_many(conn, [NewJob(kind, payload or {}, due_at, dedupe_key, replace)])

    async def enqueue_many(self, conn: AsyncSession | AsyncConnection, jobs: Iterable[NewJob]) -> None:
        now = self.clock.now()
        rows: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
        for job in jobs:
            rows[job.replace].append(
                {
                    "kind": job.kind,
                    "payload": msgspec.json.encode(job.payload).decode(),
                    "due_at": job.due_at or now,
                    "max_attempts": self._max_attempts(job.kind),
                    "dedupe_key": job.dedupe_key,
                    "guild_id": job_guild(job.payload),
                }
            )
        for replace, batch in rows.items():
            if batch:
                await conn.execute(_REPLACE if replace else _KEEP, batch)

    async def cancel(self, conn: AsyncSession | AsyncConnection, *, dedupe_prefix: str) -> int:
        """Delete pending jobs whose dedupe key starts with ``dedupe_prefix``; return how many."""
        result = await conn.execute(
            text("DELETE FROM jobs WHERE state = 'pending' AND starts_with(dedupe_key, :prefix)"),
            {"prefix": dedupe_prefix},
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def pending(
        self, conn: AsyncSession | AsyncConnection, *, dedupe_prefix: str
    ) -> list[dict[str, Any]]:
        """Pending jobs under a dedupe prefix, soonest first (for showing what is scheduled)."""
        result = await conn.execute(
            text(
                "SELECT kind, dedupe_key, due_at, payload FROM jobs"
                " WHERE state = 'pending' AND starts_with(dedupe_key, :prefix) ORDER BY due_at, id"
            ),
            {"prefix": dedupe_prefix},
        )
        return [dict(row._mapping) for row in result]

    def _max_attempts(self, kind: str) -> int:
        registration = self._handlers.get(kind)
        return registration.max_attempts if registration else self.default_max_attempts


def job_guild(payload: Mapping[str, Any]) -> int | None:
    """The guild a job is about: its payload's ``guild_id`` (every job about a guild names it there, events
    included), kept in ``jobs.guild_id`` so the claim can route gateway work to the guild's shard."""
    raw = payload.get("guild_id")
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    return None
