"""The dispatcher: one loop that runs due jobs, woken by LISTEN/NOTIFY and by the next due time.

No polling for due work: the loop sleeps until ``min(due_at)`` of pending jobs or until a notification
says the queue changed. Claims use ``FOR UPDATE SKIP LOCKED`` so several processes can share a database.
A claimed job records the backend pid of its dispatcher's LISTEN connection; when that process dies its
connection goes too, and any dispatcher re-claims the orphaned jobs. A dispatcher claims only the kinds
its process has handlers for, so a web-only process leaves Discord work to the process running the bot.
With Discord sharding, a process holding only some shards claims a job of a ``gateway`` kind only when it
holds the shard of the job's guild, ``(guild_id >> 22) % shard_count``: the handler reads that guild from
the gateway view, which only that process has.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched.core.db import DATABASE_ERRORS
from gamesched.core.driver import DriverStatement
from gamesched.core.errors import DatabaseUnavailable
from gamesched.core.foreground import Foreground
from gamesched.core.metrics import Metrics
from gamesched.core.queue import Job, JobQueue, Postpone, Reservation, RetryLater

log = structlog.get_logger(__name__)

CHANNEL = "gamesched_jobs"
#: Longest sleep between wake-ups; only matters for noticing a crashed peer's orphaned jobs.
MAX_IDLE_SECONDS = 30.0
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 600.0
#: How often a dispatcher looks again while its process's gateway view is not ready (the bot connecting).
GATEWAY_WAIT_SECONDS = 0.5
#: The longest a job handed over at commit waits for the answers in flight (core/foreground.py).
FOREGROUND_WAIT_SECONDS = 0.25

# Every statement of the dispatcher runs on the driver (``core/driver.py``): through SQLAlchemy, a click
# storm's wake-ups spent more CPU in compiling their parameters than in PostgreSQL.

#: A job this process may run: any but a gateway kind's job about a guild of a shard held elsewhere.
_ROUTED = (
    "(NOT jobs.kind = ANY(:gateway_kinds) OR jobs.guild_id IS NULL"
    " OR (jobs.guild_id >> 22) % :shard_count = ANY(:shard_ids))"
)
#: Two branches, each read in index order and cut at the limit: pending jobs that are due (the common case,
#: ``ix_jobs_pending_kind_due``) and running jobs whose process is gone (rare, ``ix_jobs_running``). One
#: ``OR`` over both made PostgreSQL collect and sort the whole due backlog on every claim.
_CLAIM = DriverStatement(
    text(
        f"""
        WITH pending AS (
            SELECT id, due_at FROM jobs
            WHERE state = 'pending' AND due_at <= :horizon AND kind = ANY(:kinds) AND {_ROUTED}
            ORDER BY due_at, id
            LIMIT :limit
            FOR UPDATE SKIP LOCKED
        ), orphaned AS (
            SELECT id, due_at FROM jobs
            WHERE state = 'running' AND kind = ANY(:kinds) AND {_ROUTED}
              AND claimed_by IS DISTINCT FROM :pid AND NOT id = ANY(:mine)
              AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = jobs.claimed_by)
            ORDER BY due_at, id
            LIMIT :limit
            FOR UPDATE SKIP LOCKED
        ), due AS (
            SELECT id FROM (SELECT * FROM pending UNION ALL SELECT * FROM orphaned) AS both_kinds
            ORDER BY due_at, id
            LIMIT :limit
        )
        UPDATE jobs SET state = 'running', attempts = jobs.attempts + 1, claimed_by = :pid, started_at = :now
        FROM due WHERE jobs.id = due.id
        RETURNING jobs.id, jobs.kind, jobs.payload, jobs.attempts, jobs.max_attempts, jobs.due_at, jobs.dedupe_key
        """
    )
)
#: Which of the kinds have work to claim now (one index probe each), and when the loop must look next:
#: when the next pending job falls due after now, or for a kind claimed ahead (``register_batch``'s
#: ``claim_ahead``, one lead for all such kinds), that lead before its next job falls due. A wake-up claims
#: only the kinds that have work (every batch subscription is a kind of its own, and a claim per kind per
#: wake-up cost more than the clicks that caused the wake-ups). Every bound is a parameter (``:now``, and
#: ``:horizon`` = now + the lead), so PostgreSQL can estimate it: a bound computed per row of ``k`` cannot
#: be, and with a million jobs pending it made PostgreSQL read the whole table (212 ms at the median in
#: ``benchmarks.queue_scale``); a per-kind ``ORDER BY due_at LIMIT 1`` instead was read through the index
#: of all pending jobs by due time, 46 ms with 200,000 of them.
_DUE_KINDS = DriverStatement(
    text(
        f"""
        SELECT ARRAY(
            SELECT k.kind FROM unnest(CAST(:kinds AS text[])) AS k(kind)
            WHERE EXISTS (SELECT 1 FROM jobs WHERE state = 'pending' AND kind = k.kind AND due_at <= :now
                          AND {_ROUTED})
               OR (k.kind = ANY(:ahead_kinds)
                   AND EXISTS (SELECT 1 FROM jobs WHERE state = 'pending' AND kind = k.kind
                               AND due_at <= :horizon AND {_ROUTED}))
               OR EXISTS (SELECT 1 FROM jobs WHERE state = 'running' AND kind = k.kind AND {_ROUTED}
                          AND claimed_by IS DISTINCT FROM :pid AND NOT id = ANY(:mine)
                          AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = jobs.claimed_by))
        ) AS due_kinds,
        LEAST(
            (SELECT min(due_at) FROM jobs WHERE state = 'pending' AND kind = ANY(:on_time_kinds)
                    AND due_at > :now AND {_ROUTED}),
            (SELECT min(due_at) FROM jobs WHERE state = 'pending' AND kind = ANY(:ahead_kinds)
                    AND due_at > :horizon AND {_ROUTED})
            - (CAST(:horizon AS timestamptz) - CAST(:now AS timestamptz))
        ) AS next_due
        """
    )
)
_DONE = DriverStatement(
    text(
        "UPDATE jobs SET state = 'done', finished_at = :now, claimed_by = NULL"
        " WHERE id = ANY(:ids) AND state = 'running'"
    )
)
#: A job going back to pending whose dedupe key a newer pending job holds meanwhile (a rate-limited refresh
#: of a game that changed again) is covered by that job: it ends as done instead, as the unique index
#: allows one pending job per key.
_SUPERSEDED = (
    "jobs.dedupe_key IS NOT NULL AND EXISTS"
    " (SELECT 1 FROM jobs AS newer WHERE newer.dedupe_key = jobs.dedupe_key AND newer.state = 'pending')"
)
_RETRY = DriverStatement(
    text(
        f"UPDATE jobs SET state = CASE WHEN {_SUPERSEDED} THEN 'done' ELSE 'pending' END,"
        f" finished_at = CASE WHEN {_SUPERSEDED} THEN CAST(:now AS timestamptz) END,"
        " due_at = :due_at, last_error = :error, claimed_by = NULL"
        " WHERE id = :id AND state = 'running'"
    )
)
_DEAD = DriverStatement(
    text(
        "UPDATE jobs SET state = 'dead', finished_at = :now, last_error = :error, claimed_by = NULL"
        " WHERE id = :id AND state = 'running'"
    )
)
_POSTPONE = DriverStatement(
    text(
        f"UPDATE jobs SET state = CASE WHEN {_SUPERSEDED} THEN 'done' ELSE 'pending' END,"
        f" finished_at = CASE WHEN {_SUPERSEDED} THEN CAST(:now AS timestamptz) END,"
        " due_at = :due_at, attempts = attempts - 1, claimed_by = NULL"
        " WHERE id = ANY(:ids) AND state = 'running'"
    )
)
_ADOPT = DriverStatement(text("UPDATE jobs SET claimed_by = :pid WHERE id = ANY(:ids) AND state = 'running'"))
#: Jobs written claimed for this process by a transaction whose COMMIT failed on the wire (it may have
#: committed): back to pending, uncounted, for any dispatcher (nothing, if it did not commit).
_GIVE_BACK = DriverStatement(
    text(
        "UPDATE jobs SET state = 'pending', attempts = attempts - 1, claimed_by = NULL, started_at = NULL"
        " WHERE id = ANY(:ids) AND state = 'running' AND claimed_by = :pid"
    )
)


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: ~2 s, 4 s, 8 s … capped at 10 minutes."""
    base = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return base * random.uniform(0.8, 1.2)


def _due_second(payload: str) -> datetime:
    """The due time a notification carries (whole seconds since the epoch); the epoch itself when it is not
    one, so that it wakes the loop."""
    try:
        return datetime.fromtimestamp(int(payload), UTC)
    except (ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, UTC)


class Dispatcher:
    """Claims due jobs and runs their handlers with bounded concurrency."""

    def __init__(
        self,
        *,
        queue: JobQueue,
        engine: AsyncEngine,
        listen_dsn: str,
        metrics: Metrics,
        concurrency: int = 8,
        name: str = "dispatcher",
        shards: tuple[int, Sequence[int]] | None = None,
    ) -> None:
        self.queue = queue
        self.clock = queue.clock
        self.engine = engine
        #: Every statement of the dispatcher is one statement: no BEGIN and COMMIT round trips around it.
        self._statements = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.listen_dsn = listen_dsn
        self.metrics = metrics
        self.concurrency = concurrency
        #: ``(shard_count, shard ids held)`` when this process holds only some of Discord's shards; None
        #: (or every shard held): every job of the registered kinds is ours to claim.
        held = sorted(set(shards[1])) if shards is not None else []
        self._routing = shards is not None and held != list(range(shards[0]))
        self._shard_count = shards[0] if shards is not None else 1
        self._shard_ids = held or [0]
        self.log = log.bind(dispatcher=name)
        self._wake = asyncio.Event()
        #: What the loop learnt when it last looked: the earliest pending job of the kinds it has room for
        #: (None: none), and whether room is what it waits for; and whether it is looking right now. A
        #: notification of a job due after that earliest one, or while it waits for room, and a handler
        #: finishing while room is not short leave it asleep: each wake-up costs a turn of the loop and a
        #: round trip to the database, and a click storm used to cause several per batch.
        self._next_due: datetime | None = None
        self._short_of_room = False
        self._stepping = False
        self._listening = asyncio.Event()
        self._stopping = False
        self._pid: int | None = None
        #: Running handler calls, keyed by their first job's id, and the ids of every job they hold.
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._held: dict[int, list[int]] = {}
        self._running_by_kind: Counter[str] = Counter()
        #: Room kept for jobs being written to run here once their transaction commits (``reserve``): units
        #: of work by kind, and in all.
        self._reserved: Counter[str] = Counter()
        self._reserved_total = 0
        #: Finished jobs waiting for the next "done" write, and the write in progress (group commit).
        self._finished_ids: list[int] = []
        self._done_written: asyncio.Future[None] | None = None
        self._done_writer: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        #: Jobs handed over at commit, waiting for the answers in flight (``_start_local``).
        self._after_answers: set[asyncio.Task[None]] = set()
        #: Whether this process's view of Discord is ready (the bot has had READY, with its guilds); None
        #: when nothing here reads the gateway. Until it is, jobs of gateway kinds wait in the queue: a
        #: process just (re)started would otherwise handle them against an empty view — a reminder would
        #: find none of its recipients in the server and send nothing.
        self.gateway_ready: Callable[[], bool] | None = None
        #: The answers people are waiting for in this process: while any is in flight, the jobs a change
        #: hands over at commit wait (at most FOREGROUND_WAIT_SECONDS). None: they start at once.
        self.foreground: Foreground | None = None

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    async def run(self) -> None:
        """Run until ``stop()``; survives database outages and catches up afterwards."""
        listener = asyncio.create_task(self._listen_forever(), name="queue-listener")
        try:
            await self._listening.wait()
            failures = 0
            while not self._stopping:
                self._wake.clear()
                self._stepping = True
                try:
                    timeout = await self._step()
                    failures = 0
                except DATABASE_ERRORS as exc:
                    failures += 1
                    timeout = min(10.0, 0.25 * 2**failures)
                    self.log.warning("dispatcher_db_error", error=str(exc), retry_in=timeout)
                    self._next_due = None  # not known: any notification wakes the loop
                finally:
                    self._stepping = False
                if self._stopping:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def stop(self, *, grace_seconds: float = 10.0) -> None:
        """Stop claiming, let running handlers finish (up to the grace period), then cancel the rest.

        Jobs handed over at commit that are still waiting for the answers in flight go back to the queue
        at once, and that is written before this returns (within the grace period): left claimed by a
        process that is gone, they would wait for another process to find them orphaned."""
        self._stopping = True
        self._wake.set()
        waiting = list(self._after_answers)
        for task in waiting:
            task.cancel()
        if waiting:
            await asyncio.wait(waiting)  # _after_answers_ended gives their jobs back
        tasks = list(self._in_flight.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                self.log.warning("dispatcher_cancelled_handlers", count=len(pending))
                await asyncio.wait(pending)
        if self._background:  # give-backs, and the waits that start them
            await asyncio.wait(list(self._background), timeout=grace_seconds)

    async def run_due(self) -> int:
        """Run every job due now, waiting for each to finish; returns how many this call ran (tests, CLI).

        Jobs this dispatcher's running loop has already claimed are due too: they are waited for as well,
        so that when this returns, nothing due now is still running here."""
        if self._pid is None:
            async with self.engine.connect() as conn:
                self._pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        total = 0
        while True:
            due_kinds, _ = await self._due_kinds(self.queue.kinds, ahead=False)
            units, _ = await self._claim_within_caps(self.concurrency, due_kinds, ahead=False)
            if not units:
                running = list(self._in_flight.values())
                if not running:
                    return total
                await asyncio.wait(running)  # they may queue more work due now: look again
                continue
            await asyncio.gather(*(self._run(unit) for unit in units))
            total += sum(len(unit) for unit in units)

    def reserve(self) -> Reservation | None:
        """Room, for one transaction, for jobs due now that it writes, to run here the moment it commits
        (``JobQueue.local_runner``); None when this dispatcher is not running (the jobs are then queued as
        usual). ``Reservation.offer`` says which jobs it takes: a unit of work (one job, or one batch of a
        batch kind) per free slot, within each kind's cap, gateway kinds only for guilds this process
        serves with its gateway view ready; a transaction's later jobs fill its batches first."""
        if self._stopping or self._pid is None or not self.listening:
            return None
        return _LocalReservation(self, self._pid)

    def _offer(self, reservation: _LocalReservation, offered: Sequence[tuple[str, int | None]]) -> list[bool]:
        if self._stopping or self._pid is None or not self.listening:
            return [False] * len(offered)
        free = self._free_slots()
        gateway_ready = self.gateway_ready is None or self.gateway_ready()
        caps = self.queue.concurrency_caps()
        units: Counter[str] = Counter()
        jobs = reservation.jobs  # taken so far by this transaction: a unit is opened per batch_size
        taken: list[bool] = []
        for kind, guild_id in offered:
            registration = self.queue.registration(kind)
            take = registration is not None and (
                not registration.gateway or (gateway_ready and self._serves(guild_id))
            )
            if take and registration is not None and jobs[kind] % registration.batch_size == 0:
                busy = self._running_by_kind[kind] + self._reserved[kind] + units[kind]
                take = units.total() < free and busy < caps.get(kind, self.concurrency)
                units[kind] += take
            jobs[kind] += take
            taken.append(take)
        units = +units
        self._reserved += units
        self._reserved_total += units.total()
        reservation.units += units
        return taken

    def _free_slots(self) -> int:
        """Slots neither running a handler nor kept for a transaction's jobs."""
        return self.concurrency - len(self._in_flight) - self._reserved_total

    def _serves(self, guild_id: int | None) -> bool:
        """Whether this process holds the shard of the guild (always, without sharding)."""
        return (
            not self._routing or guild_id is None or (guild_id >> 22) % self._shard_count in self._shard_ids
        )

    def _release(self, units: Counter[str]) -> None:
        self._reserved -= units
        self._reserved_total -= units.total()
        if self._short_of_room:
            self._wake.set()

    def _start_local(self, jobs: list[Job], units: Counter[str]) -> None:
        """Run jobs written claimed for this dispatcher, now that their transaction committed (shutting
        down: back to the queue, for the next process)."""
        loop = asyncio.get_running_loop()
        if self.foreground is None or not self.foreground.busy:
            # On the next turn of the loop: what the change's own caller does next (a click's answer) goes
            # first, and the jobs start right after it.
            loop.call_soon(self._launch_local, jobs, units, loop.time())
            return
        task = asyncio.create_task(self._launch_after_answers(jobs, units), name="queue-local-after-answers")
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        self._after_answers.add(task)
        task.add_done_callback(functools.partial(self._after_answers_ended, jobs, units))

    async def _launch_after_answers(self, jobs: list[Job], units: Counter[str]) -> None:
        assert self.foreground is not None
        handed_over = asyncio.get_running_loop().time()
        await self.foreground.quiet(FOREGROUND_WAIT_SECONDS)
        self._launch_local(jobs, units, handed_over)

    def _after_answers_ended(self, jobs: list[Job], units: Counter[str], task: asyncio.Task[None]) -> None:
        self._after_answers.discard(task)
        # Cancelled (shutting down), perhaps before it began: the jobs go back to the queue.
        if task.cancelled():
            self._give_back_local(jobs, units)

    def _launch_local(self, jobs: list[Job], units: Counter[str], handed_over: float) -> None:
        if self._stopping:
            self._give_back_local(jobs, units)
            return
        self._release(units)
        by_kind: dict[str, list[Job]] = {}
        for job in jobs:
            by_kind.setdefault(job.kind, []).append(job)
        for kind, of_kind in by_kind.items():
            registration = self.queue.registration(kind)
            size = registration.batch_size if registration else 1
            for i in range(0, len(of_kind), size):
                self._launch(of_kind[i : i + size])
            self.metrics.job_start_lag.labels(kind).observe(asyncio.get_running_loop().time() - handed_over)

    def _give_back_local(self, jobs: list[Job], units: Counter[str]) -> None:
        """Jobs written claimed for this dispatcher that it will not run (shutting down): to the queue."""
        self._give_back([job.id for job in jobs], self._pid or 0, units, maybe_committed=True)

    def _give_back(self, job_ids: list[int], pid: int, units: Counter[str], maybe_committed: bool) -> None:
        self._release(units)
        self._wake.set()  # the room is free again
        if maybe_committed and job_ids:
            task = asyncio.create_task(self._update(_GIVE_BACK, ids=job_ids, pid=pid), name="queue-give-back")
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def _launch(self, unit: list[Job]) -> None:
        first = unit[0]
        task = asyncio.create_task(self._run(unit), name=f"job-{first.id}-{first.kind}")
        self._in_flight[first.id] = task
        self._held[first.id] = [job.id for job in unit]
        self._running_by_kind[first.kind] += 1
        task.add_done_callback(functools.partial(self._finished, first.id, first.kind))

    async def _step(self) -> float | None:
        """Start what is due; return how long to sleep before looking again (None: until woken)."""
        self._next_due = None
        free = self._free_slots()
        if free <= 0:
            self._short_of_room = True
            return None  # a finishing handler wakes us
        kinds = self._kinds_with_room()
        self._short_of_room = len(kinds) < len(self.queue.kinds)
        waiting_for_gateway = self.gateway_ready is not None and not self.gateway_ready()
        if waiting_for_gateway:
            gateway = set(self.queue.gateway_kinds)
            kinds = [k for k in kinds if k not in gateway]
        if not kinds:
            return GATEWAY_WAIT_SECONDS if waiting_for_gateway else None
        due_kinds, next_due = await self._due_kinds(kinds, ahead=True)
        self._next_due = next_due
        if due_kinds:
            units, drained = await self._claim_within_caps(free, due_kinds, ahead=True)
            for unit in units:
                self._launch(unit)
            if not units:  # another process is claiming the same jobs right now: look again shortly
                return 0.05
            if not drained:  # more was due than there was room for
                return 0
            # All that was due is claimed: sleep until the next job, due later (``next_due`` counts only
            # those), with no second look at the queue; a notification of an earlier one wakes the loop.
        longest = GATEWAY_WAIT_SECONDS if waiting_for_gateway else MAX_IDLE_SECONDS
        if next_due is None:
            return longest
        return min(longest, max(0.0, (next_due - self.clock.now()).total_seconds()))

    def _routing_params(self) -> dict[str, Any]:
        return {
            "gateway_kinds": self.queue.gateway_kinds if self._routing else [],
            "shard_count": self._shard_count,
            "shard_ids": self._shard_ids,
        }

    async def _due_kinds(self, kinds: list[str], *, ahead: bool) -> tuple[set[str], Any]:
        """Which of ``kinds`` have jobs to claim now, and when the loop must look next (see ``_DUE_KINDS``).
        ``ahead``: kinds claimed ahead count jobs due within their lead as due now (the running loop; not
        ``run_due``, which runs what is due now)."""
        leads = self.queue.claim_ahead if ahead else {}
        now = self.clock.now()
        params = {
            "kinds": kinds,
            "on_time_kinds": [kind for kind in kinds if kind not in leads],
            "ahead_kinds": [kind for kind in kinds if kind in leads],
            "now": now,
            "horizon": now + timedelta(seconds=self.queue.lead if ahead else 0.0),
            "pid": self._pid,
            "mine": self._mine(),
            **self._routing_params(),
        }
        async with self._statements.connect() as conn:
            [row] = await _DUE_KINDS.rows(conn, params)
        return set(row.due_kinds), row.next_due

    def _mine(self) -> list[int]:
        return [job_id for ids in self._held.values() for job_id in ids]

    def _finished(self, job_id: int, kind: str, _task: asyncio.Task[None]) -> None:
        self._in_flight.pop(job_id, None)
        self._held.pop(job_id, None)
        self._running_by_kind[kind] -= 1
        if self._short_of_room or self._stepping:  # else the slot it frees is not what the loop waits for
            self._wake.set()

    def _kinds_with_room(self) -> list[str]:
        caps = self.queue.concurrency_caps()
        return [
            k
            for k in self.queue.kinds
            if self._running_by_kind[k] + self._reserved[k] < caps.get(k, self.concurrency)
        ]

    async def _claim_within_caps(
        self, free: int, due_kinds: set[str], *, ahead: bool
    ) -> tuple[list[list[Job]], bool]:
        """Fill up to ``free`` slots with units of work (one job, or one batch of a batch kind) of the kinds
        in ``due_kinds``; capped kinds get at most their remaining room. Also whether that took all there was
        to claim (every claim came back with less than it asked for). ``ahead``: a kind claimed ahead takes
        its jobs due within its lead too."""
        caps = self.queue.concurrency_caps()
        leads = self.queue.claim_ahead if ahead else {}
        units: list[list[Job]] = []
        drained = True
        for kind, cap in caps.items():
            if kind not in due_kinds:
                continue
            room = min(cap - self._running_by_kind[kind] - self._reserved[kind], free - len(units))
            if room <= 0:
                drained = False
                continue
            registration = self.queue.registration(kind)
            size = registration.batch_size if registration else 1
            jobs = await self._claim(room * size, [kind], lead=leads.get(kind, 0.0))
            units += [jobs[i : i + size] for i in range(0, len(jobs), size)]
            drained = drained and len(jobs) < room * size
        uncapped = [k for k in self.queue.kinds if k not in caps and k in due_kinds]
        if uncapped:
            room = free - len(units)
            jobs = await self._claim(room, uncapped) if room > 0 else []
            units += [[job] for job in jobs]
            drained = drained and len(jobs) < room
        return units, drained

    async def _claim(self, limit: int, kinds: list[str] | None = None, *, lead: float = 0.0) -> list[Job]:
        """Claim up to ``limit`` jobs of ``kinds``: those due now, or within ``lead`` seconds (a kind claimed
        ahead; only capped kinds, which are claimed one kind at a time, have a lead)."""
        now = self.clock.now()
        params = {
            "now": now,
            "horizon": now + timedelta(seconds=lead),
            "pid": self._pid,
            "limit": limit,
            "kinds": kinds or self.queue.kinds,
            # Our own running jobs look orphaned while a new LISTEN connection is not adopted yet.
            "mine": self._mine(),
            **self._routing_params(),
        }
        async with self._statements.connect() as conn:
            rows = await _CLAIM.rows(conn, params)
        jobs = [
            Job(r.id, r.kind, r.payload, r.attempts, r.max_attempts, r.due_at, r.dedupe_key)
            for r in sorted(rows, key=lambda r: (r.due_at, r.id))  # RETURNING keeps no order
        ]
        for job in jobs:
            self.metrics.job_start_lag.labels(job.kind).observe(max(0.0, (now - job.due_at).total_seconds()))
        return jobs

    async def _run(self, unit: list[Job]) -> None:
        """Run one job, or one batch of a batch kind, and record each job's outcome."""
        kind = unit[0].kind
        registration = self.queue.registration(kind)
        started = time.perf_counter()
        failures: dict[int, Exception] = {}
        try:
            if registration is None:  # only registered kinds are claimed; a handler removed meanwhile
                raise LookupError(f"no handler registered for job kind {kind!r}")
            if registration.batch_handler is not None:
                failures = dict(await registration.batch_handler(unit))
            else:
                assert registration.handler is not None
                await registration.handler(unit[0])
        except asyncio.CancelledError:
            raise  # shutdown: the rows stay claimed and are re-claimed once this process is gone
        except Exception as exc:
            failures = {job.id: exc for job in unit}
        finally:
            self.metrics.job_duration.labels(kind).observe(time.perf_counter() - started)
        done = [job.id for job in unit if job.id not in failures]
        if done:
            await self._mark_done(done)
            self.metrics.jobs_handled.labels(kind, "done").inc(len(done))
        postponed = [job for job in unit if isinstance(failures.get(job.id), Postpone)]
        if postponed:
            await self._postpone(postponed, failures)
            self.metrics.jobs_handled.labels(kind, "postponed").inc(len(postponed))
        for job in unit:
            if job.id in failures and not isinstance(failures[job.id], Postpone):
                error = failures[job.id]
                delay = error.seconds if isinstance(error, RetryLater) else None
                outcome = await self._fail(job, error, delay=delay)
                self.metrics.jobs_handled.labels(kind, outcome).inc()

    async def _postpone(self, jobs: list[Job], failures: dict[int, Exception]) -> None:
        """Put jobs that could not start back in the queue, uncounted, each at its own time."""
        now = self.clock.now()
        by_due: dict[float, list[int]] = {}
        for job in jobs:
            error = failures[job.id]
            assert isinstance(error, Postpone)
            by_due.setdefault(round(error.seconds, 2), []).append(job.id)
        for seconds, ids in by_due.items():
            await self._update(_POSTPONE, ids=ids, due_at=now + timedelta(seconds=seconds), now=now)

    async def _mark_done(self, job_ids: list[int]) -> None:
        """Mark jobs done, together with the other jobs that finished meanwhile: one write for a burst of
        short jobs instead of one each. Returns once the write that holds them is committed."""
        self._finished_ids += job_ids
        if self._done_written is None:
            self._done_written = asyncio.get_running_loop().create_future()
        written = self._done_written
        if self._done_writer is None:
            self._done_writer = asyncio.create_task(self._write_done(), name="queue-done-writer")
        await asyncio.shield(written)

    async def _write_done(self) -> None:
        try:
            while self._finished_ids:
                assert self._done_written is not None
                ids, written = self._finished_ids, self._done_written
                self._finished_ids, self._done_written = [], None
                try:
                    await self._update(_DONE, ids=ids, now=self.clock.now())
                except BaseException as exc:
                    written.set_exception(exc)
                    raise
                written.set_result(None)
        finally:
            self._done_writer = None

    async def _fail(self, job: Job, exc: Exception, *, delay: float | None) -> str:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if job.attempts >= job.max_attempts or isinstance(exc, LookupError):
            self.log.error("job_dead", job_id=job.id, kind=job.kind, attempts=job.attempts, error=error)
            await self._update(_DEAD, id=job.id, now=self.clock.now(), error=error)
            return "dead"
        wait = delay if delay is not None else backoff_seconds(job.attempts)
        self.log.warning(
            "job_retry",
            job_id=job.id,
            kind=job.kind,
            attempts=job.attempts,
            in_s=round(wait, 2),
            error=error,
            # The database out of reach is no bug: its traceback says nothing, and rendering one (with
            # locals, on the console) can stall the event loop for seconds, past Discord's 3-second answers.
            exc_info=delay is None and not isinstance(exc, DatabaseUnavailable),
        )
        now = self.clock.now()
        await self._update(_RETRY, id=job.id, due_at=now + timedelta(seconds=wait), error=error, now=now)
        return "retry"

    async def _update(self, statement: DriverStatement, **params: Any) -> None:
        # Recording the outcome must survive a brief database blip, or the job would run again.
        for attempt in range(5):
            try:
                async with self._statements.connect() as conn:
                    await statement.rows(conn, params)
                return
            except DATABASE_ERRORS as exc:
                self.log.warning("job_outcome_write_failed", error=str(exc), attempt=attempt + 1)
                await asyncio.sleep(0.2 * 2**attempt)

    async def _listen_forever(self) -> None:
        backoff = 0.25
        while not self._stopping:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.listen_dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._notified)
                await self._adopt_in_flight(conn.get_server_pid())
                self._listening.set()
                self._wake.set()  # catch up on anything that came due while we were not listening
                self.log.info("queue_listening", backend_pid=self._pid)
                backoff = 0.25
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), MAX_IDLE_SECONDS)
                    if not lost.is_set():
                        await conn.execute("SELECT 1")  # detect a silently dead connection
            except asyncio.CancelledError:
                raise
            except DATABASE_ERRORS as exc:
                self.log.warning("queue_listen_lost", error=str(exc), retry_in=backoff)
            finally:
                self._listening.clear()
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), 2)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        """A job became pending; ``payload``: ``<second> <kind>``, the second it is due (rounded down) and
        its kind (migration 0025; only the second from 0024's trigger, nothing before). Wake the loop unless
        this process does not run the kind, or has no slot free for it (the next handler to finish wakes the
        loop), or the loop already knows of a pending job it must claim no later (it looks by then anyway)."""
        if self._stepping or not payload:
            self._wake.set()
            return
        second, _, kind = payload.partition(" ")
        registration = self.queue.registration(kind) if kind else None
        if kind and registration is None:
            return  # another process's work (a web-only process and the bot's jobs)
        # A job of a kind claimed ahead is claimed that much earlier than it is due.
        # Without the kind (0024's trigger), the longest lead of any kind.
        lead = timedelta(seconds=registration.claim_ahead if registration else self.queue.lead)
        if self._next_due is not None and _due_second(second) - lead > self._next_due:
            return  # it looks by then anyway
        cap = registration.max_concurrency if registration else None
        if self._free_slots() <= 0 or (
            # A storm's batches queue their events while the previous batch's handlers still run.
            cap is not None and self._running_by_kind[kind] + self._reserved[kind] >= cap
        ):
            self._short_of_room = True
            return
        self._wake.set()

    async def _adopt_in_flight(self, pid: int) -> None:
        """A new LISTEN connection means a new backend pid: move our running jobs to it."""
        old, self._pid = self._pid, pid
        if old is not None and old != pid and self._in_flight:
            await self._update(_ADOPT, pid=pid, ids=self._mine())


class _LocalReservation:
    """Room a dispatcher keeps for the jobs one transaction writes claimed by it (``Dispatcher.reserve``):
    every job it took, and the units of work (slots) kept for them, until the transaction ends."""

    def __init__(self, dispatcher: Dispatcher, pid: int) -> None:
        self._dispatcher = dispatcher
        self.pid = pid
        #: Jobs taken per kind, and the slots kept per kind (one per batch of the kind's batch size).
        self.jobs: Counter[str] = Counter()
        self.units: Counter[str] = Counter()
        self._claimed: list[Job] = []
        self._open = True

    def offer(self, offered: Sequence[tuple[str, int | None]]) -> list[bool]:
        return self._dispatcher._offer(self, offered) if self._open else [False] * len(offered)

    def add(self, jobs: list[Job]) -> None:
        self._claimed.extend(jobs)

    def start(self) -> None:
        if self._open:
            self._open = False
            if self._claimed or self.units:  # a transaction whose jobs found no room has nothing to start
                self._dispatcher._start_local(self._claimed, self.units)

    def give_back(self, *, maybe_committed: bool) -> None:
        if self._open:
            self._open = False
            ids = [job.id for job in self._claimed]
            self._dispatcher._give_back(ids, self.pid, self.units, maybe_committed)
