"""The job queue with a million jobs waiting: does anything slow down?

On a fresh database (the test PostgreSQL), 1,000,000 pending jobs due over the next 30 days are seeded with
bulk SQL (the timers of a big installation: reminders, starts, completions), then:

* enqueue rate: 50,000 more jobs through ``JobQueue.enqueue_many`` (1,000 per transaction, each with a
  dedupe key, as the app writes them) — jobs/s;
* next-due look-up: the dispatcher's own statement (which kinds have work now, and when is the next job due?),
  timed over 200 runs, and
  ``EXPLAIN ANALYZE`` of it and of the claim statement (the index each uses);
* draining: 20,000 jobs due now, run by one dispatcher (concurrency 8, a handler that does nothing) while the
  million wait — jobs/s.

``python -m benchmarks.queue_scale`` (about two minutes; part of ``make bench``); ``--jobs N`` seeds N, ``--drain N``
drains N.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import time
from collections.abc import Sequence
from datetime import timedelta

import asyncpg

from benchmarks import record
from benchmarks.harness import fresh_database, percentile
from gamesched.app import asyncpg_dsn
from gamesched.core.clock import SystemClock
from gamesched.core.db import Database, create_engine, use_app_role
from gamesched.core.dispatcher import _CLAIM, _DUE_KINDS, Dispatcher
from gamesched.core.metrics import Metrics
from gamesched.core.migrate import upgrade_head
from gamesched.core.queue import Job, JobQueue, NewJob
from tests.db import asyncpg_url

SEEDED = 1_000_000
ENQUEUED = 50_000
PER_TRANSACTION = 1_000
DRAINED = 20_000
KINDS = ["games.send_reminders", "games.start", "games.complete", "drain"]

_SEED = """
INSERT INTO jobs (kind, payload, due_at, dedupe_key)
SELECT (ARRAY['games.send_reminders', 'games.start', 'games.complete'])[1 + n % 3],
       jsonb_build_object('game_id', md5(n::text), 'guild_id', 1000 + n % 500),
       now() + interval '1 minute' + (n % 2592000) * interval '1 second',
       'seed:' || n
FROM generate_series(1, $1) AS n
"""


async def seed(url: str, count: int) -> float:
    conn = await asyncpg.connect(asyncpg_url(url))
    try:
        started = time.perf_counter()
        await conn.execute(_SEED, count)
        seconds = time.perf_counter() - started
        await conn.execute("VACUUM ANALYZE jobs")
    finally:
        await conn.close()
    return seconds


async def enqueue_rate(db: Database, queue: JobQueue) -> float:
    now = queue.clock.now()
    started = time.perf_counter()
    for first in range(0, ENQUEUED, PER_TRANSACTION):
        jobs = [
            NewJob("games.send_reminders", {"game_id": f"g{n}", "guild_id": 1}, now + timedelta(days=1, seconds=n),
                   f"bench:{n}")
            for n in range(first, first + PER_TRANSACTION)
        ]  # fmt: skip
        async with db.uow(bypass_rls=True) as uow:
            await queue.enqueue_many(uow.session, jobs)
    return ENQUEUED / (time.perf_counter() - started)


async def next_due(url: str) -> tuple[list[float], dict[str, str]]:
    """The next-due statement's time over 200 runs (ms, as the server measures it), and the plans."""
    conn = await asyncpg.connect(asyncpg_url(url))
    plans: dict[str, str] = {}
    try:
        times: list[float] = []
        # The first kind is claimed a quarter of a second ahead, as the app claims its DMs.
        statement = _bound(
            str(_DUE_KINDS.statement),
            horizon="(now() + interval '250 milliseconds')",
            on_time_kinds="$1[2:]",
            ahead_kinds="$1[1:1]",
        )
        for _ in range(200):
            [row] = await conn.fetch(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", KINDS)
            times.append(float(json.loads(row[0])[0]["Execution Time"]))
        plans["next due"] = await _plan(conn, statement, KINDS)
        claim = _bound(str(_CLAIM.statement), limit="8")
        async with conn.transaction():  # the claim updates rows: look, then roll back
            plans["claim"] = await _plan(conn, claim, KINDS)
            raise _RollBack
    except _RollBack:
        pass
    finally:
        await conn.close()
    return times, plans


#: The dispatcher's statements with its parameters as one process holding every shard binds them; the
#: kinds stay a parameter ($1).
_BINDINGS = {
    "kinds": "$1",
    "now": "now()",
    "horizon": "now()",
    "pid": "0",
    "mine": "ARRAY[]::bigint[]",
    "gateway_kinds": "ARRAY[]::text[]",
    "shard_count": "1",
    "shard_ids": "ARRAY[0]",
}


def _bound(statement: str, **more: str) -> str:
    values = {**_BINDINGS, **more}
    return re.sub(r"(?<!:):([a-z_]+)", lambda m: values[m[1]], statement)


class _RollBack(Exception):
    pass


async def _plan(conn: asyncpg.Connection, statement: str, *args: object) -> str:
    rows = await conn.fetch(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {statement}", *args)
    return "\n".join(f"      {r[0]}" for r in rows)


async def drain(db: Database, clock: SystemClock, count: int) -> float:
    finished = 0
    done = asyncio.Event()

    async def work(job: Job) -> None:
        nonlocal finished
        finished += 1
        if finished == count:
            done.set()

    queue = JobQueue(clock=clock)
    queue.register("drain", work)
    async with db.uow(bypass_rls=True) as uow:
        for first in range(0, count, 5_000):
            await queue.enqueue_many(
                uow.session, [NewJob("drain", {"n": n}) for n in range(first, min(count, first + 5_000))]
            )
    engine = db.engine
    dispatcher = Dispatcher(queue=queue, engine=engine, listen_dsn=asyncpg_dsn(engine), metrics=Metrics())
    started = time.perf_counter()
    runner = asyncio.create_task(dispatcher.run())
    await asyncio.wait_for(done.wait(), 600)
    seconds = time.perf_counter() - started
    await dispatcher.stop()
    await runner
    return count / seconds


async def run(count: int, drained_jobs: int = DRAINED) -> record.Figures:
    async with fresh_database("gs_bench_queue_scale") as url:
        engine = create_engine(url)
        await upgrade_head(engine)
        await engine.dispose()
        seeded = await seed(url, count)
        print(f"seeded {count:,} pending jobs in {seeded:.1f} s")
        engine = create_engine(url)
        await use_app_role(engine)
        clock = SystemClock()
        db = Database(engine)
        try:
            rate = await enqueue_rate(db, JobQueue(clock=clock))
            print(f"enqueue: {ENQUEUED:,} jobs, {PER_TRANSACTION:,} per transaction: {rate:,.0f} jobs/s")
            times, plans = await next_due(url)
            ordered = sorted(times)
            print(
                f"next-due look-up (server time, 200 runs): p50 {statistics.median(ordered):.3f} ms,"
                f" p99 {percentile(ordered, 99):.3f} ms"
            )
            for name, plan in plans.items():
                print(f"  plan of the {name} statement:\n{plan}")
            drained = await drain(db, clock, drained_jobs)
            print(
                f"drain: {drained_jobs:,} due jobs, one dispatcher, {count:,} waiting: {drained:,.0f} jobs/s"
            )
        finally:
            await engine.dispose()
    return {
        f"{count:,} pending jobs": {
            "enqueue_per_s": round(rate),
            "next_due_p50_ms": round(statistics.median(ordered), 3),
            "next_due_p99_ms": round(percentile(ordered, 99), 3),
            "drain_per_s": round(drained),
        }
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.queue_scale", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--jobs", type=int, default=SEEDED, help=f"pending jobs to seed (default {SEEDED:,})")
    parser.add_argument("--drain", type=int, default=DRAINED, help=f"due jobs to drain (default {DRAINED:,})")
    record.add_arguments(parser)
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.jobs, args.drain))
    record.report("queue_scale", figures, save_baseline=args.save_baseline)


if __name__ == "__main__":
    main()
