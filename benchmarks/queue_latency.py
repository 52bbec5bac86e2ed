"""Queue latency and throughput on a real PostgreSQL.

* due-to-start lateness: 200 jobs due at staggered future times (every 25 ms), one dispatcher;
  how late each handler starts relative to its due time (p50, p95, max).
* wake-up precision: single jobs, each alone in the queue, due 1-5 s after it is written (the dispatcher
  sleeps until then); how late each starts. Twelve (``make bench``: about 35 s of waiting).
* throughput: 5,000 jobs due now, drained by two dispatchers with concurrency 8 each (jobs/s).

``python -m benchmarks.queue_latency [--wake-ups N]``
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from datetime import timedelta

from benchmarks import record
from benchmarks.harness import summary
from gamesched.app import asyncpg_dsn
from gamesched.core.clock import SystemClock
from gamesched.core.db import Database, create_engine, use_app_role
from gamesched.core.dispatcher import Dispatcher
from gamesched.core.metrics import Metrics
from gamesched.core.migrate import upgrade_head
from gamesched.core.queue import Job, JobQueue, NewJob
from tests.db import admin_execute, resolve_server_url, unique_name, with_database

WAKE_UPS = 12


async def _lateness(url: str) -> list[float]:
    engine = create_engine(url)
    await use_app_role(engine)
    clock = SystemClock()
    queue = JobQueue(clock=clock)
    lateness_ms: list[float] = []
    done = asyncio.Event()
    count = 200

    async def record(job: Job) -> None:
        lateness_ms.append((time.time() - job.payload["due"]) * 1000)
        if len(lateness_ms) == count:
            done.set()

    queue.register("probe", record)
    dispatcher = Dispatcher(queue=queue, engine=engine, listen_dsn=asyncpg_dsn(engine), metrics=Metrics())
    runner = asyncio.create_task(dispatcher.run())
    db = Database(engine)
    start = clock.now() + timedelta(seconds=1)
    async with db.uow() as uow:
        jobs = []
        for i in range(count):
            due = start + timedelta(milliseconds=25 * i)
            jobs.append(NewJob("probe", {"due": due.timestamp()}, due_at=due))
        await queue.enqueue_many(uow.session, jobs)
    await asyncio.wait_for(done.wait(), 60)
    await dispatcher.stop()
    await runner
    await engine.dispose()
    print(f"queue due-to-start lateness over {count} timed jobs: {summary(lateness_ms)}")
    return lateness_ms


async def _wake_ups(url: str, count: int) -> list[float]:
    engine = create_engine(url)
    await use_app_role(engine)
    clock = SystemClock()
    queue = JobQueue(clock=clock)
    arrived: asyncio.Queue[float] = asyncio.Queue()

    async def record(job: Job) -> None:
        arrived.put_nowait((time.time() - job.payload["due"]) * 1000)

    queue.register("wake", record)
    dispatcher = Dispatcher(queue=queue, engine=engine, listen_dsn=asyncpg_dsn(engine), metrics=Metrics())
    runner = asyncio.create_task(dispatcher.run())
    db = Database(engine)
    lateness_ms: list[float] = []
    for n in range(count):
        ahead = 1 + (n * 0.37) % 4  # 1-5 s, spread
        due = clock.now() + timedelta(seconds=ahead)
        async with db.uow() as uow:
            await queue.enqueue_many(uow.session, [NewJob("wake", {"due": due.timestamp()}, due_at=due)])
        lateness_ms.append(await asyncio.wait_for(arrived.get(), ahead + 30))
    await dispatcher.stop()
    await runner
    await engine.dispose()
    print(f"wake-up of {count} single jobs due 1-5 s ahead: {summary(lateness_ms)}")
    return lateness_ms


async def _throughput(url: str) -> float:
    engines = [create_engine(url), create_engine(url)]
    for engine in engines:
        await use_app_role(engine)
    clock = SystemClock()
    total = 5000
    finished = 0
    done = asyncio.Event()

    async def work(job: Job) -> None:
        nonlocal finished
        finished += 1
        if finished == total:
            done.set()

    dispatchers = []
    for n, engine in enumerate(engines):
        queue = JobQueue(clock=clock)
        queue.register("work", work)
        dispatchers.append(
            Dispatcher(
                queue=queue, engine=engine, listen_dsn=asyncpg_dsn(engine), metrics=Metrics(), name=f"d{n}"
            )
        )
    async with Database(engines[0]).uow() as uow:
        await JobQueue(clock=clock).enqueue_many(
            uow.session, [NewJob("work", {"n": i}) for i in range(total)]
        )
    started = time.perf_counter()
    runners = [asyncio.create_task(d.run()) for d in dispatchers]
    await asyncio.wait_for(done.wait(), 300)
    elapsed = time.perf_counter() - started
    for dispatcher in dispatchers:
        await dispatcher.stop()
    await asyncio.gather(*runners)
    for engine in engines:
        await engine.dispose()
    print(
        f"queue throughput: {total} jobs by 2 dispatchers in {elapsed:.2f} s = {total / elapsed:.0f} jobs/s"
    )
    return total / elapsed


async def run(wake_ups: int) -> record.Figures:
    server_url, release = resolve_server_url()
    name = unique_name("gs_bench")
    await admin_execute(server_url, f'CREATE DATABASE "{name}"')
    url = with_database(server_url, name)
    try:
        engine = create_engine(url)
        await upgrade_head(engine)
        await engine.dispose()
        lateness = await _lateness(url)
        woken = await _wake_ups(url, wake_ups)
        rate = await _throughput(url)
    finally:
        await admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        release()
    return {
        "due-to-start lateness, 200 timed jobs": record.latency(lateness),
        f"wake-up of {wake_ups} single jobs due 1-5 s ahead": record.latency(woken),
        "5,000 due jobs, 2 dispatchers": {"jobs_per_s": round(rate)},
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Queue latency and throughput on a real PostgreSQL")
    parser.add_argument(
        "--wake-ups", type=int, default=WAKE_UPS, help=f"single timed jobs (default {WAKE_UPS})"
    )
    parser.add_argument("--quick", action="store_true", help="five wake-ups")
    record.add_arguments(parser)
    args = parser.parse_args(argv)
    figures = asyncio.run(run(5 if args.quick else args.wake_ups))
    record.report("queue_latency", figures, save_baseline=args.save_baseline)


if __name__ == "__main__":
    main()
