"""The durable job queue: one table of work items (see migration 0001) and the handler registry.

A job is written in the same transaction as the change that causes it, so it exists exactly when that
change does. The dispatcher (core/dispatcher.py) runs due jobs; handlers must be idempotent because
delivery is at-least-once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import msgspec
from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Text,
    cast,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from gamesched.core.clock import Clock
from gamesched.core.db import transaction_hooks
from gamesched.core.driver import DriverStatement

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
#: What is scheduled under a key prefix (a game's reminders and transitions), for showing it.
_PENDING_UNDER_PREFIX = DriverStatement(
    text(
        "SELECT kind, dedupe_key, due_at, payload FROM jobs"
        " WHERE state = 'pending' AND starts_with(dedupe_key, :prefix) ORDER BY due_at, id"
    )
)
#: Both partial indexes answer it: the pending keys by prefix, and the few running rows.
_CANCEL = text(
    "DELETE FROM jobs WHERE starts_with(dedupe_key, :prefix)"
    " AND (state = 'pending' OR (state = 'running' AND due_at > :now))"
)
_STILL_CLAIMED = DriverStatement(text("SELECT id FROM jobs WHERE id = ANY(:ids) AND state = 'running'"))
_JOBS = table(
    "jobs",
    column("id"),
    column("kind"),
    column("due_at"),
    column("payload"),
    column("state"),
    column("dedupe_key"),
)


class PendingJob(msgspec.Struct, frozen=True):
    """A pending job as ``pending_under`` lists it."""

    kind: str
    due_at: datetime
    payload: dict[str, Any]


_pending_decoder = msgspec.json.Decoder(list[PendingJob])


def pending_under(key_from: ColumnElement[str], key_before: ColumnElement[str]) -> ScalarSelect[str]:
    """The pending jobs whose dedupe key lies from ``key_from`` up to ``key_before`` (in byte order),
    soonest first, as one JSON array (``decode_pending``): a column of another module's statement, which
    reads what is scheduled for its row in the same round trip. Both bounds are expressions of that
    statement: the keys under a prefix ``p:`` run from ``p:`` to ``p;``.

    A range, not ``starts_with``: PostgreSQL turns a prefix into a range of the index of pending keys only
    when the prefix is a constant, and here it is the outer row's value (``starts_with`` scanned all of
    100,000 pending jobs, 95 ms; the range reads one index entry)."""
    job = func.json_build_object("kind", _JOBS.c.kind, "due_at", _JOBS.c.due_at, "payload", _JOBS.c.payload)
    listed = func.coalesce(
        func.json_agg(aggregate_order_by(job, _JOBS.c.due_at, _JOBS.c.id)), literal_column("'[]'::json")
    )
    return (
        select(cast(listed, Text))
        .where(
            # 'pending' written out, not a parameter: that index is partial on it.
            _JOBS.c.state == literal_column("'pending'"),
            _JOBS.c.dedupe_key.is_not(None),
            _JOBS.c.dedupe_key.op("~>=~")(key_from),  # text_pattern_ops: the index's byte order
            _JOBS.c.dedupe_key.op("~<~")(key_before),
        )
        .scalar_subquery()
    )


def decode_pending(listed: str) -> list[PendingJob]:
    return _pending_decoder.decode(listed)


#: The key of a transaction's local reservation among its hooks' shared state (``TransactionHooks.shared``).
_LOCAL_RESERVATION = "queue.local_reservation"
#: Jobs this process runs as soon as their transaction commits: written already claimed by its dispatcher
#: (as its claim would leave them), so no notification wakes any dispatcher and none claims them. A job
#: whose dedupe key a pending job holds is left out (RETURNING tells): it goes the usual way, replacing or
#: coalescing with that one.
_INSERT_CLAIMED = text(
    """
    INSERT INTO jobs (kind, payload, due_at, max_attempts, dedupe_key, guild_id, state, attempts, claimed_by,
                      started_at)
    SELECT t.kind, CAST(t.payload AS jsonb), :now, t.max_attempts, t.dedupe_key, t.guild_id, 'running', 1,
           :pid, :now
    FROM unnest(CAST(:kinds AS text[]), CAST(:payloads AS text[]), CAST(:max_attempts AS integer[]),
                CAST(:dedupe_keys AS text[]), CAST(:guild_ids AS bigint[]))
         WITH ORDINALITY AS t(kind, payload, max_attempts, dedupe_key, guild_id, n)
    WHERE t.dedupe_key IS NULL OR NOT EXISTS
          (SELECT 1 FROM jobs AS queued WHERE queued.dedupe_key = t.dedupe_key AND queued.state = 'pending')
    ORDER BY t.n
    RETURNING id, kind, payload, dedupe_key
    """
)


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    due_at: datetime
    dedupe_key: str | None


class Reservation(Protocol):
    """Room a dispatcher keeps for the jobs a transaction is writing, to run them the moment it commits."""

    @property
    def pid(self) -> int:
        """The backend pid the dispatcher claims with (``jobs.claimed_by``)."""

    def offer(self, offered: Sequence[tuple[str, int | None]]) -> list[bool]:
        """Which of these jobs (kind, guild id) of the transaction it takes, in the order offered."""

    def add(self, jobs: list[Job]) -> None:
        """These jobs, of those taken, were written claimed (a pending job's dedupe key kept the others)."""

    def start(self) -> None:
        """The transaction committed: run every job added, batch kinds in batches."""

    def give_back(self, *, maybe_committed: bool) -> None:
        """The transaction did not commit (or may have: its COMMIT failed on the wire): free the room, and
        in the second case put the jobs added back in the queue for any dispatcher."""


class LocalRunner(Protocol):
    """This process's dispatcher, as the queue sees it (see ``JobQueue.local_runner``)."""

    def reserve(self) -> Reservation | None:
        """Room for a transaction's jobs, to run right after it commits; None: not running."""


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
    #: Seconds before its due time that the running dispatcher claims a job of the kind (0: when due).
    claim_ahead: float = 0.0


class JobQueue:
    """Writes jobs and knows which handler runs each kind."""

    def __init__(self, *, clock: Clock, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
        self.clock = clock
        self.default_max_attempts = max_attempts
        self._handlers: dict[str, Registration] = {}
        #: This process's running dispatcher. Jobs due now that a unit of work writes (a change's events
        #: for their subscribers, a reminder wave's DMs) are then run by it as soon as the unit of work
        #: commits, when it has room: no notification, no look for due work and no claim between a change
        #: and what follows from it. They are written claimed by it, so after a crash they are re-claimed
        #: like any job whose process died.
        self.local_runner: LocalRunner | None = None

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
        claim_ahead: float = 0.0,
    ) -> None:
        """Run ``kind`` in batches: the dispatcher claims up to ``batch_size`` due jobs of the kind at once
        (earliest due first) and hands them to ``handler`` together, at most ``max_concurrency`` batches
        at a time. For work that is cheaper together (DMs: one look-up and one record for many).

        ``claim_ahead``: the running dispatcher claims the kind's jobs that many seconds before they are
        due (one lead for every kind claimed ahead), so that the handler can do its reading beforehand and
        act at the due time itself; the handler must then wait for each job's ``due_at``
        (``Clock.sleep_until``). ``Dispatcher.run_due`` (tests,
        the CLI) claims only what is due."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if claim_ahead < 0:
            raise ValueError("claim_ahead must not be negative")
        if claim_ahead and self.lead not in (0.0, claim_ahead):
            # The dispatcher's look for due work bounds them all with one parameter (``_DUE_KINDS``).
            raise ValueError("every kind claimed ahead must have the same lead")
        registration = Registration(
            None,
            max_attempts or self.default_max_attempts,
            max_concurrency,
            handler,
            batch_size,
            gateway,
            claim_ahead,
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

    @property
    def claim_ahead(self) -> dict[str, float]:
        """The kinds claimed ahead of their due time, with how many seconds ahead (``register_batch``)."""
        return {k: r.claim_ahead for k, r in self._handlers.items() if r.claim_ahead}

    @property
    def lead(self) -> float:
        """The one lead of the kinds claimed ahead, in seconds (``register_batch`` keeps them equal); 0
        when no kind is."""
        return max(self.claim_ahead.values(), default=0.0)

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
        queued = await self._run_here_after_commit(conn, list(jobs), now)
        rows: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
        for job in queued:
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

    async def _run_here_after_commit(
        self, conn: AsyncSession | AsyncConnection, jobs: list[NewJob], now: datetime
    ) -> list[NewJob]:
        """Write the jobs the local dispatcher takes (see ``local_runner``) claimed by it, and have it run
        them once the transaction commits; answer the others, to queue as usual."""
        hooks = transaction_hooks(conn) if isinstance(conn, AsyncSession) else None
        if hooks is None or self.local_runner is None:
            return jobs
        keys = Counter(job.dedupe_key for job in jobs if job.dedupe_key is not None)
        offered = [
            job
            for job in jobs
            if (job.due_at is None or job.due_at <= now)
            and (job.dedupe_key is None or keys[job.dedupe_key] == 1)  # twins: replaced in order, as usual
        ]
        if not offered:
            return jobs
        # Every enqueue of one transaction shares one reservation: a batch kind's jobs written in several
        # calls still run as one batch (not one concurrent batch per call). Its hooks free it with the
        # transaction, whatever happens from here (a failed statement aborts the transaction).
        reservation: Reservation | None = hooks.shared.get(_LOCAL_RESERVATION)
        if reservation is None:
            if (reservation := self.local_runner.reserve()) is None:
                return jobs
            hooks.shared[_LOCAL_RESERVATION] = reservation
            hooks.add(
                reservation.start,
                lambda maybe_committed: reservation.give_back(maybe_committed=maybe_committed),
            )
        flags = reservation.offer([(job.kind, job_guild(job.payload)) for job in offered])
        taken = [job for job, take in zip(offered, flags, strict=True) if take]
        if not taken:
            return jobs
        result = await conn.execute(
            _INSERT_CLAIMED,
            {
                "kinds": [job.kind for job in taken],
                "payloads": [msgspec.json.encode(job.payload).decode() for job in taken],
                "max_attempts": [self._max_attempts(job.kind) for job in taken],
                "dedupe_keys": [job.dedupe_key for job in taken],
                "guild_ids": [job_guild(job.payload) for job in taken],
                "now": now,
                "pid": reservation.pid,
            },
        )
        claimed = [
            Job(row.id, row.kind, row.payload, 1, self._max_attempts(row.kind), now, row.dedupe_key)
            for row in result
        ]
        reservation.add(claimed)
        written = {job.dedupe_key for job in claimed if job.dedupe_key is not None}
        done = {id(job) for job in taken if job.dedupe_key is None or job.dedupe_key in written}
        return [job for job in jobs if id(job) not in done]

    async def cancel(self, conn: AsyncSession | AsyncConnection, *, dedupe_prefix: str) -> int:
        """Delete the jobs under ``dedupe_prefix`` that have not started; return how many.

        Not started: pending, or claimed ahead of a due time still to come (a kind registered with
        ``claim_ahead``). A handler of such a kind honours the cancel by asking, at the due time, which of
        its jobs are ``still_claimed``."""
        result = await conn.execute(_CANCEL, {"prefix": dedupe_prefix, "now": self.clock.now()})
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def still_claimed(self, conn: AsyncSession | AsyncConnection, job_ids: Iterable[int]) -> set[int]:
        """Which of these claimed jobs are still there (not cancelled since their claim)."""
        return {row.id for row in await _STILL_CLAIMED.rows(conn, {"ids": list(job_ids)})}

    async def pending(
        self, conn: AsyncSession | AsyncConnection, *, dedupe_prefix: str
    ) -> list[dict[str, Any]]:
        """Pending jobs under a dedupe prefix, soonest first (for showing what is scheduled)."""
        return [row._asdict() for row in await _PENDING_UNDER_PREFIX.rows(conn, {"prefix": dedupe_prefix})]

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
