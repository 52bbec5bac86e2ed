"""The durable queue: timing, retries, dead jobs, several dispatchers, restarts and lost connections."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched.core.clock import FakeClock
from gamesched.core.dispatcher import _CLAIM, _DUE_KINDS, Dispatcher
from gamesched.core.queue import Job, JobQueue, NewJob, Postpone, RetryLater
from tests.core.conftest import QueueKit, slow_then_quick, wait_until
from tests.db import admin_execute


async def test_job_due_in_two_seconds_starts_within_100_ms_of_its_due_time(live_kit: QueueKit) -> None:
    started: list[float] = []
    due_wall: list[float] = []

    async def record(job: Job) -> None:
        started.append(time.time())

    live_kit.queue.register("probe", record)
    await live_kit.start(live_kit.dispatcher())
    due_at = live_kit.clock.now() + timedelta(seconds=2)
    due_wall.append(due_at.timestamp())
    async with live_kit.db.uow() as uow:
        await live_kit.queue.enqueue(uow.session, "probe", {"n": 1}, due_at=due_at)

    await wait_until(lambda: len(started) == 1, within=5)
    await asyncio.sleep(0.3)  # nothing else may run it again
    lateness_ms = (started[0] - due_wall[0]) * 1000
    print(f"\nqueue due-to-start lateness: {lateness_ms:.1f} ms")
    assert len(started) == 1
    assert 0 <= lateness_ms < 100
    assert await live_kit.count("state = 'done'") == 1


async def test_failing_handler_retries_with_backoff_then_goes_dead(kit: QueueKit, clock: FakeClock) -> None:
    calls: list[int] = []

    async def always_fails(job: Job) -> None:
        calls.append(job.attempts)
        raise RuntimeError("discord is down")

    kit.queue.register("flaky", always_fails, max_attempts=3)
    dispatcher = kit.dispatcher()
    async with kit.db.uow() as uow:
        await kit.queue.enqueue(uow.session, "flaky", {})

    assert await dispatcher.run_due() == 1
    assert await dispatcher.run_due() == 0, "a retry waits for its backoff"
    clock.advance(seconds=3)
    assert await dispatcher.run_due() == 1
    clock.advance(seconds=10)
    assert await dispatcher.run_due() == 1
    clock.advance(hours=1)
    assert await dispatcher.run_due() == 0

    assert calls == [1, 2, 3]
    async with kit.engine.connect() as conn:
        row = (await conn.execute(text("SELECT state, attempts, last_error FROM jobs"))).one()
    assert row.state == "dead"
    assert row.attempts == 3
    assert "discord is down" in row.last_error


async def test_retry_later_runs_again_after_the_requested_delay(kit: QueueKit, clock: FakeClock) -> None:
    calls: list[int] = []

    async def rate_limited_once(job: Job) -> None:
        calls.append(job.attempts)
        if job.attempts == 1:
            raise RetryLater(1.5, "429 retry_after=1.5")

    kit.queue.register("limited", rate_limited_once)
    dispatcher = kit.dispatcher()
    async with kit.db.uow() as uow:
        await kit.queue.enqueue(uow.session, "limited", {})
    await dispatcher.run_due()
    clock.advance(seconds=1)
    assert await dispatcher.run_due() == 0
    clock.advance(seconds=1)
    assert await dispatcher.run_due() == 1
    assert calls == [1, 2]
    assert await kit.count("state = 'done'") == 1


async def test_kinds_without_a_handler_here_are_left_for_another_process(kit: QueueKit) -> None:
    async with kit.db.uow() as uow:
        await kit.queue.enqueue(uow.session, "bot.only.work", {})
    kit.queue.register("web.work", lambda job: asyncio.sleep(0))
    assert await kit.dispatcher().run_due() == 0
    assert await kit.count("state = 'pending' AND kind = 'bot.only.work'") == 1

    bot_process = JobQueue(clock=kit.clock)
    ran: list[int] = []

    async def bot_work(job: Job) -> None:
        ran.append(job.id)

    bot_process.register("bot.only.work", bot_work)
    assert await kit.dispatcher(queue=bot_process).run_due() == 1
    assert len(ran) == 1


async def test_dedupe_key_replaces_the_pending_job_and_cancel_removes_it(
    kit: QueueKit, clock: FakeClock
) -> None:
    kit.queue.register("reminder", lambda job: asyncio.sleep(0))
    async with kit.db.uow() as uow:
        await kit.queue.enqueue(
            uow.session,
            "reminder",
            {"v": 1},
            due_at=clock.now() + timedelta(hours=1),
            dedupe_key="game:1:reminder:60",
        )
        await kit.queue.enqueue(
            uow.session,
            "reminder",
            {"v": 2},
            due_at=clock.now() + timedelta(hours=2),
            dedupe_key="game:1:reminder:60",
        )
        await kit.queue.enqueue(
            uow.session,
            "reminder",
            {"v": 3},
            due_at=clock.now() + timedelta(hours=3),
            dedupe_key="game:2:reminder:60",
        )
    async with kit.db.uow() as uow:
        pending = await kit.queue.pending(uow.session, dedupe_prefix="game:1:")
    assert [(p["payload"], p["due_at"]) for p in pending] == [({"v": 2}, clock.now() + timedelta(hours=2))]
    async with kit.db.uow() as uow:
        assert await kit.queue.cancel(uow.session, dedupe_prefix="game:1:") == 1
    assert await kit.count() == 1


async def test_cancel_reaches_a_job_claimed_ahead_of_its_due_time_but_not_one_already_running_when_due(
    kit: QueueKit, clock: FakeClock
) -> None:
    """A job of a kind claimed ahead has not started until its due time: ``cancel`` deletes it, and its
    handler asks ``still_claimed`` at that time. A job claimed when due is underway and is left alone."""
    kit.queue.register("reminder", lambda job: asyncio.sleep(0))
    async with kit.db.uow() as uow:
        for key, due in (("game:1:ahead", timedelta(milliseconds=200)), ("game:1:due", timedelta(0))):
            await kit.queue.enqueue(uow.session, "reminder", {}, due_at=clock.now() + due, dedupe_key=key)
        ids = {
            row.dedupe_key: row.id
            for row in await uow.session.execute(
                text(
                    "UPDATE jobs SET state = 'running', claimed_by = pg_backend_pid()"
                    " WHERE starts_with(dedupe_key, 'game:1:') RETURNING id, dedupe_key"
                )
            )
        }
    async with kit.db.uow() as uow:
        assert await kit.queue.cancel(uow.session, dedupe_prefix="game:1:") == 1
        assert await kit.queue.still_claimed(uow.session, ids.values()) == {ids["game:1:due"]}


async def test_keep_coalesces_a_burst_into_the_first_pending_job(kit: QueueKit, clock: FakeClock) -> None:
    runs: list[dict[str, object]] = []

    async def refresh(job: Job) -> None:
        runs.append(job.payload)

    kit.queue.register("refresh", refresh)
    first_due = clock.now() + timedelta(seconds=1)
    async with kit.db.uow() as uow:
        for n in range(50):
            await kit.queue.enqueue(
                uow.session,
                "refresh",
                {"n": n},
                due_at=first_due + timedelta(milliseconds=n),
                dedupe_key="refresh:game-1",
                replace=False,
            )
    assert await kit.count() == 1
    clock.advance(seconds=1)
    await kit.dispatcher().run_due()
    assert runs == [{"n": 0}]
    async with kit.db.uow() as uow:  # once it ran, the next change schedules a new run
        await kit.queue.enqueue(uow.session, "refresh", {"n": 50}, dedupe_key="refresh:game-1", replace=False)
    await kit.dispatcher().run_due()
    assert runs == [{"n": 0}, {"n": 50}]


async def test_two_dispatchers_run_each_of_1000_jobs_exactly_once(
    kit_two_engines: tuple[QueueKit, AsyncEngine],
) -> None:
    kit, second_engine = kit_two_engines
    runs: Counter[int] = Counter()
    by_dispatcher: Counter[str] = Counter()

    def handler_for(name: str) -> Callable[[Job], Awaitable[None]]:
        async def handle(job: Job) -> None:
            runs[job.payload["n"]] += 1
            by_dispatcher[name] += 1
            await asyncio.sleep(0.001)

        return handle

    # Two processes' worth of machinery: separate registries, pools and LISTEN connections.
    kit.queue.register("bulk", handler_for("first"))
    other_queue = JobQueue(clock=kit.clock)
    other_queue.register("bulk", handler_for("second"))
    await kit.start(kit.dispatcher(name="first"))
    await kit.start(kit.dispatcher(name="second", engine=second_engine, queue=other_queue))
    async with kit.db.uow() as uow:
        for chunk in range(10):
            await kit.queue.enqueue_many(
                uow.session, [NewJob("bulk", {"n": chunk * 100 + i}) for i in range(100)]
            )

    await wait_until(lambda: sum(runs.values()) >= 1000, within=60)
    await asyncio.sleep(0.5)
    print(f"\n1000 jobs split between dispatchers: {dict(by_dispatcher)}")
    assert len(runs) == 1000
    assert set(runs.values()) == {1}, "no job ran twice"
    assert by_dispatcher["first"] > 0 and by_dispatcher["second"] > 0, "both dispatchers took work"
    assert await kit.count("state = 'done'") == 1000


async def test_restart_catches_up_overdue_and_orphaned_jobs(live_kit: QueueKit) -> None:
    ran: list[int] = []

    async def record(job: Job) -> None:
        ran.append(job.payload["n"])

    live_kit.queue.register("catch_up", record)
    past = live_kit.clock.now() - timedelta(minutes=30)
    async with live_kit.db.uow() as uow:
        for n in range(5):
            await live_kit.queue.enqueue(uow.session, "catch_up", {"n": n}, due_at=past)
        # A job claimed by a process that died mid-run (its backend pid no longer exists).
        await uow.session.execute(
            text(
                "INSERT INTO jobs (kind, payload, due_at, state, attempts, claimed_by)"
                " VALUES ('catch_up', '{\"n\": 99}', :due, 'running', 1, 2147483000)"
            ),
            {"due": past},
        )
    started = time.perf_counter()
    await live_kit.start(live_kit.dispatcher())
    await wait_until(lambda: len(ran) == 6, within=5)
    print(
        f"\ncatch-up of 6 overdue/orphaned jobs after start: {(time.perf_counter() - started) * 1000:.0f} ms"
    )
    assert sorted(ran) == [0, 1, 2, 3, 4, 99]


async def test_listener_reconnects_after_its_connection_is_killed(
    live_kit: QueueKit, database_url: str
) -> None:
    ran: list[int] = []

    async def record(job: Job) -> None:
        ran.append(job.payload["n"])

    live_kit.queue.register("after_outage", record)
    dispatcher = await live_kit.start(live_kit.dispatcher())
    old_pid = dispatcher._pid
    # What a PostgreSQL restart does to our LISTEN connection (as admin: the app role may not do this).
    await admin_execute(database_url, f"SELECT pg_terminate_backend({old_pid})")
    async with live_kit.db.uow() as uow:
        await live_kit.queue.enqueue(uow.session, "after_outage", {"n": 1})
        await live_kit.queue.enqueue(
            uow.session, "after_outage", {"n": 2}, due_at=live_kit.clock.now() + timedelta(milliseconds=500)
        )
    await wait_until(lambda: len(ran) == 2, within=10)
    assert dispatcher._pid != old_pid
    assert dispatcher.listening
    assert sorted(ran) == [1, 2]


async def test_a_capped_kind_never_takes_more_than_its_slots(live_kit: QueueKit) -> None:
    release = asyncio.Event()
    running_slow = 0
    most_slow = 0
    fast_done: list[int] = []

    async def slow_dm(job: Job) -> None:
        nonlocal running_slow, most_slow
        running_slow += 1
        most_slow = max(most_slow, running_slow)
        await release.wait()
        running_slow -= 1

    async def announcement(job: Job) -> None:
        fast_done.append(job.payload["n"])

    live_kit.queue.register("slow_dm", slow_dm, max_concurrency=2)
    live_kit.queue.register("announcement", announcement)
    await live_kit.start(live_kit.dispatcher(concurrency=4))
    async with live_kit.db.uow() as uow:
        await live_kit.queue.enqueue_many(uow.session, [NewJob("slow_dm", {"n": n}) for n in range(6)])
        await live_kit.queue.enqueue_many(uow.session, [NewJob("announcement", {"n": n}) for n in range(5)])
    await wait_until(lambda: len(fast_done) == 5, within=5)
    assert most_slow == 2, "slow jobs held to their cap while the others ran"
    release.set()
    await wait_until(lambda: running_slow == 0, within=5)
    for _ in range(100):
        if await live_kit.count("state = 'done'") == 11:
            break
        await asyncio.sleep(0.05)
    assert await live_kit.count("state = 'done'") == 11
    assert most_slow == 2


async def test_stop_lets_a_running_handler_finish(live_kit: QueueKit) -> None:
    finished: list[bool] = []
    entered = asyncio.Event()

    async def slow(job: Job) -> None:
        entered.set()
        await asyncio.sleep(0.3)
        finished.append(True)

    live_kit.queue.register("slow", slow)
    dispatcher = await live_kit.start(live_kit.dispatcher())
    async with live_kit.db.uow() as uow:
        await live_kit.queue.enqueue(uow.session, "slow", {})
    await asyncio.wait_for(entered.wait(), 5)
    await dispatcher.stop(grace_seconds=5)
    assert finished == [True]
    assert await live_kit.count("state = 'done'") == 1


async def test_run_due_also_waits_for_the_due_jobs_its_running_loop_claimed(live_kit: QueueKit) -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow(job: Job) -> None:
        started.set()
        await asyncio.sleep(0.3)
        finished.set()

    live_kit.queue.register("slow", slow)
    dispatcher = live_kit.dispatcher()
    await live_kit.start(dispatcher)
    async with live_kit.db.uow() as uow:
        await live_kit.queue.enqueue(uow.session, "slow")
    await asyncio.wait_for(started.wait(), 5)  # the loop has it

    assert await dispatcher.run_due() == 0  # nothing left to claim, but it returns only once that is done
    assert finished.is_set()


async def test_a_batch_kind_gets_its_due_jobs_together_earliest_first_and_settles_each(
    kit: QueueKit, clock: FakeClock
) -> None:
    batches: list[list[int]] = []

    async def deliver(jobs: list[Job]) -> dict[int, Exception]:
        batches.append([job.payload["n"] for job in jobs])
        failures: dict[int, Exception] = {}
        for job in jobs:
            if job.payload["n"] == 3 and job.attempts == 1:
                failures[job.id] = RetryLater(5, "429")  # once
            elif job.payload["n"] == 4:
                failures[job.id] = RuntimeError("refused")  # every time: dead after three attempts
        return failures

    kit.queue.register_batch("dm", deliver, batch_size=4, max_concurrency=1)
    start = clock.now()
    async with kit.db.uow() as uow:
        await kit.queue.enqueue_many(
            uow.session, [NewJob("dm", {"n": n}, start - timedelta(seconds=n)) for n in range(6)]
        )
    dispatcher = kit.dispatcher()

    assert await dispatcher.run_due() == 6
    assert batches == [[5, 4, 3, 2], [1, 0]], "earliest due first, four at a time"
    assert await kit.count("state = 'done'") == 4
    clock.advance(seconds=6)  # past the RetryLater delay and the first backoff (~2 s)
    assert await dispatcher.run_due() == 2
    assert batches[-1] == [4, 3], "the one due earlier first"
    clock.advance(hours=1)
    assert await dispatcher.run_due() == 1
    assert batches[-1] == [4]
    async with kit.engine.connect() as conn:
        rows = (
            await conn.execute(text("SELECT payload->>'n' AS n, state, attempts FROM jobs ORDER BY 1"))
        ).all()
    assert [(r.n, r.state, r.attempts) for r in rows] == [
        ("0", "done", 1),
        ("1", "done", 1),
        ("2", "done", 1),
        ("3", "done", 2),
        ("4", "dead", 3),
        ("5", "done", 1),
    ]


async def test_a_postponed_job_comes_back_later_without_using_up_its_attempts(
    kit: QueueKit, clock: FakeClock
) -> None:
    runs: list[int] = []

    async def not_yet(job: Job) -> None:
        runs.append(job.attempts)
        if len(runs) <= 5:  # more postponements than the kit's three attempts
            raise Postpone(2, "recipient busy")

    kit.queue.register("dm", not_yet)
    async with kit.db.uow() as uow:
        await kit.queue.enqueue(uow.session, "dm", {})
    dispatcher = kit.dispatcher()
    for _ in range(6):
        assert await dispatcher.run_due() == 1
        assert await dispatcher.run_due() == 0, "not before its time"
        clock.advance(seconds=2)
    assert runs == [1, 1, 1, 1, 1, 1]
    assert await kit.count("state = 'done'") == 1


@pytest.mark.parametrize("outcome", [Postpone(2, "recipient busy"), RetryLater(2, "429")], ids=repr)
async def test_a_job_going_back_to_pending_beside_a_pending_twin_is_done_not_stuck(
    kit: QueueKit, clock: FakeClock, outcome: Exception
) -> None:
    """While a DM job ran, the event that queued it ran again (its outcome lost in a database outage) and
    queued the same DM: a pending twin with the same dedupe key. The running job then postponed (or was told
    to retry later): going back to pending would break the one-pending-per-key index, the outcome was never
    written and the job stayed 'running' for good (found by ``make reliability``, PostgreSQL outage)."""
    runs: list[int] = []

    async def send(job: Job) -> None:
        runs.append(job.id)
        if len(runs) == 1:
            async with kit.db.uow() as uow:
                later = clock.now() + timedelta(seconds=30)
                await kit.queue.enqueue(uow.session, "dm", {"again": True}, due_at=later, dedupe_key="dm:1")
            raise outcome

    kit.queue.register("dm", send)
    async with kit.db.uow() as uow:
        await kit.queue.enqueue(uow.session, "dm", {}, dedupe_key="dm:1")
    dispatcher = kit.dispatcher()

    assert await dispatcher.run_due() == 1
    assert await kit.count("state = 'running'") == 0
    assert await kit.count("state = 'pending'") == 1, "the twin does the work"
    clock.advance(seconds=60)
    assert await dispatcher.run_due() == 1
    assert len(runs) == 2 and runs[0] != runs[1]
    assert await kit.count("state = 'done'") == 2


async def test_claiming_one_kind_reads_only_its_own_due_rows_behind_a_backlog_of_another(
    kit: QueueKit, clock: FakeClock
) -> None:
    """A wave of 20,000 due jobs of one kind must not make every claim of another kind walk past it (the
    drain of a backlog was quadratic while the claim collected and sorted every due row)."""
    async with kit.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO jobs (kind, payload, due_at, dedupe_key)"
                " SELECT 'wave', '{}'::jsonb, CAST(:due AS timestamptz) - n * interval '1 millisecond', 'wave:' || n"
                " FROM generate_series(1, 20000) AS n"
            ),
            {"due": clock.now()},
        )
        await conn.execute(
            text("INSERT INTO jobs (kind, payload, due_at) VALUES ('refresh', '{}'::jsonb, :due)"),
            {"due": clock.now()},
        )
        await conn.execute(text("ANALYZE jobs"))

    params = {
        "now": clock.now(),
        "horizon": clock.now(),
        "pid": 0,
        "limit": 4,
        "kinds": ["refresh"],
        "mine": [],
        # As a process holding one of two shards claims a gateway kind: the routing must not cost a walk.
        "gateway_kinds": ["refresh"],
        "shard_count": 2,
        "shard_ids": [0, 1],
    }
    async with kit.engine.connect() as conn:
        plan = (
            await conn.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + str(_CLAIM.statement)), params)
        ).scalar_one()
        await conn.rollback()

    def pending_reads(node: dict) -> list[dict]:
        """The plan's reads of pending jobs: every scan of ``jobs`` but the running-jobs index and the
        UPDATE's look-up by primary key."""
        found = []
        if node.get("Relation Name") == "jobs" and node.get("Index Name") not in {
            "pk_jobs",
            "ix_jobs_running",
        }:
            found.append(node)
        for child in node.get("Plans", []):
            found += pending_reads(child)
        return found

    reads = pending_reads(plan[0]["Plan"])
    rows_read = sum(node["Actual Rows"] + node.get("Rows Removed by Filter", 0) for node in reads)
    assert reads and rows_read <= 4, f"the claim read {rows_read} rows to find one due job"

    kit.queue.register("refresh", lambda job: asyncio.sleep(0))
    claimed = await kit.dispatcher()._claim(4, ["refresh"])
    assert [job.kind for job in claimed] == ["refresh"]


async def test_the_look_for_due_work_reads_no_backlog_with_a_kind_claimed_ahead(
    kit: QueueKit, clock: FakeClock
) -> None:
    """The wake-up's look (``_DUE_KINDS``) for which kinds have work reads a few index entries, not the
    pending jobs: here 200,000 of them, of three kinds (one claimed ahead, ``dm``), due from tomorrow on, and
    none sooner. A bound ``now + lead`` computed per kind, which PostgreSQL cannot estimate, made it read
    them all (a million pending: 212 ms at the median in ``benchmarks.queue_scale``)."""
    async with kit.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO jobs (kind, payload, due_at)"
                " SELECT (ARRAY['dm', 'a', 'b'])[1 + n % 3], '{}'::jsonb,"
                "        CAST(:due AS timestamptz) + (n % 2592000) * interval '1 second'"
                " FROM generate_series(0, 199999) AS n"
            ),
            {"due": clock.now() + timedelta(days=1)},
        )
        await conn.execute(
            text("INSERT INTO jobs (kind, payload, due_at) VALUES ('wave', '{}'::jsonb, :later)"),
            {"later": clock.now() + timedelta(days=2)},
        )
        await conn.execute(text("ANALYZE jobs"))

    lead = timedelta(seconds=0.25)
    params = {
        "now": clock.now(),
        "horizon": clock.now() + lead,
        "kinds": ["wave", "a", "b", "dm"],
        "on_time_kinds": ["wave", "a", "b"],
        "ahead_kinds": ["dm"],
        "pid": 0,
        "mine": [],
        "gateway_kinds": [],
        "shard_count": 1,
        "shard_ids": [0],
    }
    async with kit.engine.connect() as conn:
        plan = (
            await conn.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + str(_DUE_KINDS.statement)), params)
        ).scalar_one()
        [row] = await _DUE_KINDS.rows(conn, params)

    def reads(node: dict) -> int:
        """Rows the plan read from ``jobs``, through any path."""
        own = 0
        if node.get("Relation Name") == "jobs":
            own = node["Actual Rows"] * node.get("Actual Loops", 1) + node.get("Rows Removed by Filter", 0)
        return own + sum(reads(child) for child in node.get("Plans", []))

    # Which kinds have work: the first part of the plan. (The next due time is one ``min`` per group of
    # kinds, as before there were kinds claimed ahead: which index PostgreSQL reads it through depends on
    # the table, and on this one it reads the kinds' pending jobs.)
    which_kinds = plan[0]["Plan"]["Plans"][0]
    assert reads(which_kinds) <= 10, "the look read the backlog"
    assert row.due_kinds == [], "nothing due, nor due within the lead"
    assert row.next_due == clock.now() + timedelta(days=1) - lead, "the lead before the first job (a dm)"

    clock.advance(days=1, seconds=-0.2)  # 0.2 s before that job: within its lead
    async with kit.engine.connect() as conn:
        [row] = await _DUE_KINDS.rows(conn, {**params, "now": clock.now(), "horizon": clock.now() + lead})
    assert row.due_kinds == ["dm"]


async def test_gateway_work_goes_to_the_process_holding_the_guilds_shard(kit: QueueKit) -> None:
    """With two shards: a gateway kind's job about a guild is run by the process holding the guild's shard
    (``(guild_id >> 22) % 2``); its jobs without a guild, and every job of other kinds, by any process."""
    on_shard = {0: 8 << 22 | 5, 1: 7 << 22 | 5}  # a guild of each shard
    async with kit.db.uow() as uow:
        for shard, guild_id in on_shard.items():
            await kit.queue.enqueue(uow.session, "announce", {"guild_id": guild_id, "shard": shard})
            await kit.queue.enqueue(uow.session, "timer", {"guild_id": str(guild_id), "shard": shard})
        await kit.queue.enqueue(uow.session, "announce", {"note": "no guild"})

    ran: dict[int, list[tuple[str, object]]] = {0: [], 1: []}

    def process(shard: int) -> JobQueue:
        queue = JobQueue(clock=kit.clock)

        async def announce(job: Job) -> None:
            ran[shard].append(("announce", job.payload.get("shard")))

        async def timer(job: Job) -> None:
            ran[shard].append(("timer", job.payload.get("shard")))

        queue.register("announce", announce, gateway=True)
        queue.register("timer", timer)
        return queue

    holding_shard_1 = kit.dispatcher(queue=process(1), name="shard1", shards=(2, [1]))
    assert await holding_shard_1.run_due() == 4  # its guild's announce, both timers, the guildless announce
    assert sorted(ran[1], key=str) == sorted(
        [("announce", 1), ("announce", None), ("timer", 0), ("timer", 1)], key=str
    )
    assert await kit.count("state = 'pending'") == 1  # shard 0's announcement waits for its process

    holding_shard_0 = kit.dispatcher(queue=process(0), name="shard0", shards=(2, [0]))
    assert await holding_shard_0.run_due() == 1
    assert ran[0] == [("announce", 0)]

    # A process holding every shard (or unsharded) takes any job, as before sharding.
    async with kit.db.uow() as uow:
        await kit.queue.enqueue(uow.session, "announce", {"guild_id": on_shard[0], "shard": 0})
    assert await kit.dispatcher(queue=process(1), name="all", shards=(2, [0, 1])).run_due() == 1


async def test_gateway_work_waits_until_the_gateway_view_is_ready(live_kit: QueueKit) -> None:
    ran: list[str] = []

    async def record(job: Job) -> None:
        ran.append(job.kind)

    live_kit.queue.register("plain", record)
    live_kit.queue.register("reads_the_gateway", record, gateway=True)
    ready = False
    dispatcher = live_kit.dispatcher()
    dispatcher.gateway_ready = lambda: ready
    await live_kit.start(dispatcher)
    async with live_kit.db.uow() as uow:
        await live_kit.queue.enqueue(uow.session, "reads_the_gateway", {"guild_id": 1})
        await live_kit.queue.enqueue(uow.session, "plain", {})

    # Both came due together: the wake-up that ran the plain job left the gateway one in the queue.
    await wait_until(lambda: ran == ["plain"], within=5)
    assert await live_kit.count("kind = 'reads_the_gateway' AND state = 'pending'") == 1

    ready = True  # the bot had READY: the waiting job runs, once
    await wait_until(lambda: len(ran) == 2, within=5)
    assert ran == ["plain", "reads_the_gateway"]
    for _ in range(100):  # its "done" is written just after the handler returns
        if await live_kit.count("state = 'done'") == 2:
            break
        await asyncio.sleep(0.05)
    assert await live_kit.count("state = 'done'") == 2


class WakeRecorder:
    """Whether each notification, and each handler finishing, woke the dispatcher's loop: read right after
    the dispatcher's own callback, before the loop can run and clear it."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.notified: list[tuple[str, bool]] = []
        self.finished: list[bool] = []
        notified, finished = dispatcher._notified, dispatcher._finished

        def on_notified(conn: object, pid: int, channel: str, payload: str) -> None:
            dispatcher._wake.clear()
            notified(conn, pid, channel, payload)
            self.notified.append((payload, dispatcher._wake.is_set()))

        def on_finished(job_id: int, kind: str, task: asyncio.Task[None]) -> None:
            dispatcher._wake.clear()
            finished(job_id, kind, task)
            self.finished.append(dispatcher._wake.is_set())

        # Before run(): the listener and every launched job pick these up.
        dispatcher._notified = on_notified  # type: ignore[method-assign]
        dispatcher._finished = on_finished  # type: ignore[method-assign]


async def asleep(dispatcher: Dispatcher) -> None:
    await wait_until(lambda: not dispatcher._stepping and not dispatcher._wake.is_set())


async def asleep_with_a_job_in_an_hour(kit: QueueKit, dispatcher: Dispatcher, *, n: int) -> datetime:
    """Start ``dispatcher`` with one "timed" job due in an hour, and wait until it sleeps; that due time."""
    await kit.start(dispatcher)
    in_an_hour = kit.clock.now() + timedelta(hours=1)
    async with kit.db.uow() as uow:
        await kit.queue.enqueue(uow.session, "timed", {"n": n}, due_at=in_an_hour)
    await wait_until(lambda: dispatcher._next_due == in_an_hour)
    await asleep(dispatcher)
    return in_an_hour


async def test_a_job_due_after_the_next_known_one_does_not_wake_the_dispatcher(live_kit: QueueKit) -> None:
    ran: list[int] = []
    release = asyncio.Event()

    async def record(job: Job) -> None:
        await release.wait()
        ran.append(job.payload["n"])

    live_kit.queue.register("timed", record)
    dispatcher = live_kit.dispatcher()
    woke = WakeRecorder(dispatcher)
    in_an_hour = await asleep_with_a_job_in_an_hour(live_kit, dispatcher, n=1)

    async with live_kit.db.uow() as uow:  # due later than the one it knows of: it looks by then anyway
        await live_kit.queue.enqueue(uow.session, "timed", {"n": 2}, due_at=in_an_hour + timedelta(hours=1))
    async with live_kit.db.uow() as uow:  # due earlier: it must look now
        await live_kit.queue.enqueue(uow.session, "timed", {"n": 3}, due_at=live_kit.clock.now())
    await wait_until(lambda: len(dispatcher._in_flight) == 1)
    later, earlier = woke.notified[-2:]
    assert later == (f"{int(in_an_hour.timestamp()) + 3600} timed", False)
    assert earlier[1] is True

    await asleep(dispatcher)
    release.set()
    # The handler's task ends after its "done" is written: wait for that too, not only for the handler.
    await wait_until(lambda: ran == [3] and len(woke.finished) == 1)
    assert woke.finished == [False], "a finished job with room to spare left the loop asleep"
    assert dispatcher._next_due == in_an_hour


async def test_a_wake_up_that_claims_all_that_is_due_sleeps_without_looking_at_the_queue_again(
    live_kit: QueueKit,
) -> None:
    """Claims that came back with less than they asked for took everything due: the loop sleeps until the
    next job, which the look before the claims already told it, instead of a second look."""
    release = asyncio.Event()

    async def hold(job: Job) -> None:
        await release.wait()

    live_kit.queue.register("timed", hold)
    dispatcher = live_kit.dispatcher(concurrency=8)
    looks = 0
    due_kinds = dispatcher._due_kinds

    async def counted(kinds: list[str], *, ahead: bool) -> tuple[set[str], Any]:
        nonlocal looks
        looks += 1
        return await due_kinds(kinds, ahead=ahead)

    dispatcher._due_kinds = counted  # type: ignore[method-assign]
    in_an_hour = await asleep_with_a_job_in_an_hour(live_kit, dispatcher, n=0)

    before = looks
    async with live_kit.db.uow() as uow:  # three due now, in one transaction: one notification
        for n in (1, 2, 3):
            await live_kit.queue.enqueue(uow.session, "timed", {"n": n})
    await wait_until(lambda: len(dispatcher._in_flight) == 3)
    await asleep(dispatcher)
    assert looks - before == 1, "one look, then the claim; no second look"
    assert dispatcher._next_due == in_an_hour, "it sleeps until the job due later"
    release.set()


async def test_a_dispatcher_with_no_free_slot_is_woken_by_the_finishing_handler_not_the_notification(
    live_kit: QueueKit,
) -> None:
    release, ran = slow_then_quick(live_kit)
    dispatcher = live_kit.dispatcher(concurrency=1)
    woke = WakeRecorder(dispatcher)
    await live_kit.start(dispatcher)
    async with live_kit.db.uow() as uow:
        await live_kit.queue.enqueue(uow.session, "slow", {})
    await wait_until(lambda: len(dispatcher._in_flight) == 1)
    await asleep(dispatcher)

    async with live_kit.db.uow() as uow:
        await live_kit.queue.enqueue(uow.session, "quick", {})
    await wait_until(lambda: len(woke.notified) == 2)
    assert woke.notified[-1][1] is False, "no free slot: the notification left it asleep"
    assert ran == []

    release.set()
    await wait_until(lambda: ran == ["slow", "quick"])
    assert woke.finished[0] is True, "the slot it was waiting for woke it"


async def test_a_job_of_a_kind_at_its_cap_or_not_run_here_does_not_wake_the_dispatcher(
    live_kit: QueueKit,
) -> None:
    """The notification names the job's kind (migration 0025): a job of a kind whose handlers are all busy
    here leaves the loop asleep until one of them finishes, and a kind this process does not run (another
    process's work) leaves it asleep altogether."""
    release = asyncio.Event()
    ran: list[str] = []

    async def capped(job: Job) -> None:
        await release.wait()
        ran.append(job.payload["n"])

    live_kit.queue.register("capped", capped, max_concurrency=1)
    dispatcher = live_kit.dispatcher(concurrency=8)
    woke = WakeRecorder(dispatcher)
    await live_kit.start(dispatcher)
    async with live_kit.db.uow() as uow:
        await live_kit.queue.enqueue(uow.session, "capped", {"n": "first"})
    await wait_until(lambda: len(dispatcher._in_flight) == 1)
    await asleep(dispatcher)
    notified = len(woke.notified)

    async with live_kit.db.uow() as uow:
        await live_kit.queue.enqueue(uow.session, "capped", {"n": "second"})
    await wait_until(lambda: len(woke.notified) == notified + 1)
    payload, woken = woke.notified[-1]
    assert payload.endswith(" capped"), "the notification names the kind"
    assert woken is False, "its one slot is taken: the notification left it asleep"

    async with live_kit.db.uow() as uow:
        await live_kit.queue.enqueue(uow.session, "elsewhere", {})  # no handler here
    await wait_until(lambda: len(woke.notified) == notified + 2)
    assert woke.notified[-1][1] is False, "another process's kind: still asleep"

    release.set()
    await wait_until(lambda: ran == ["first", "second"])
    assert woke.finished[0] is True, "the handler finishing woke it for the job waiting for its slot"
    assert await live_kit.count("kind = 'elsewhere' AND state = 'pending'") == 1


async def test_a_kind_claimed_ahead_is_claimed_its_lead_before_it_is_due_by_the_running_loop_only(
    kit: QueueKit, clock: FakeClock
) -> None:
    """A batch kind with ``claim_ahead`` is claimed that long before its jobs are due (its handler reads
    then and acts at the due time); other kinds keep their time, and ``run_due`` claims only what is due."""
    claimed: list[tuple[datetime, list[datetime]]] = []
    ran: list[str] = []

    async def ahead(jobs: list[Job]) -> dict[int, Exception]:
        claimed.append((clock.now(), [job.due_at for job in jobs]))
        return {}

    async def timed(job: Job) -> None:
        ran.append("timed")

    kit.queue.register_batch("ahead", ahead, batch_size=10, claim_ahead=600.0)
    kit.queue.register("timed", timed)
    dispatcher = kit.dispatcher()
    due = clock.now() + timedelta(hours=1)
    async with kit.db.uow() as uow:
        await kit.queue.enqueue(uow.session, "ahead", {"n": 1}, due_at=due)
        await kit.queue.enqueue(uow.session, "timed", {"n": 2}, due_at=due)

    clock.set(due - timedelta(minutes=5))
    assert await dispatcher.run_due() == 0, "run_due runs what is due, not what may be claimed ahead"
    assert claimed == []

    clock.set(due - timedelta(minutes=20))
    await kit.start(dispatcher)
    await wait_until(lambda: dispatcher._next_due == due - timedelta(minutes=10))
    await asleep(dispatcher)
    assert claimed == [], "20 minutes before: not yet"

    clock.set(due - timedelta(minutes=5))
    dispatcher._wake.set()  # the fake clock jumped past the loop's wake-up
    await wait_until(lambda: len(claimed) == 1)
    assert claimed == [(due - timedelta(minutes=5), [due])], "claimed 5 minutes before its due time"
    await wait_until(lambda: dispatcher._next_due == due)
    await asleep(dispatcher)
    assert ran == [], "a kind claimed on time waits for its due time"

    # A job of the kind queued while the loop sleeps until ``due`` (30 s, its longest sleep) wakes it when it
    # must be claimed before that: due 8 minutes after ``due``, it is to be claimed 2 minutes before it.
    async with kit.db.uow() as uow:
        await kit.queue.enqueue(uow.session, "ahead", {"n": 3}, due_at=due + timedelta(minutes=8))
    await wait_until(lambda: dispatcher._next_due == due - timedelta(minutes=2), within=5)

    clock.set(due)
    dispatcher._wake.set()
    await wait_until(lambda: ran == ["timed"] and len(claimed) == 2)
    assert claimed[1] == (due, [due + timedelta(minutes=8)])


def test_every_kind_claimed_ahead_has_the_same_lead(clock: FakeClock) -> None:
    queue = JobQueue(clock=clock)

    async def handler(jobs: list[Job]) -> dict[int, Exception]:
        return {}

    queue.register_batch("first", handler, batch_size=10, claim_ahead=0.25)
    queue.register_batch("same", handler, batch_size=10, claim_ahead=0.25)
    queue.register_batch("on_time", handler, batch_size=10)
    with pytest.raises(ValueError, match="same lead"):
        queue.register_batch("other", handler, batch_size=10, claim_ahead=1.0)
    assert queue.claim_ahead == {"first": 0.25, "same": 0.25}
