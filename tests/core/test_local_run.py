"""Jobs due at once that a unit of work writes run on this process's dispatcher as soon as it commits.

They are written already claimed by the dispatcher, so no notification wakes any dispatcher and none claims
them; when the dispatcher has no room, or the transaction does not commit, the queue behaves as before.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import text

from gamesched.app import asyncpg_dsn
from gamesched.core.bus import Event
from gamesched.core.dispatcher import CHANNEL, Dispatcher
from gamesched.core.errors import DatabaseUnavailable
from gamesched.core.foreground import Foreground
from gamesched.core.queue import Job, NewJob
from tests.core.conftest import QueueKit, slow_then_quick, wait_until


class Clicked(Event, frozen=True):
    n: int


@pytest.fixture
async def local_kit(live_kit: QueueKit) -> AsyncIterator[QueueKit]:
    live_kit.queue.local_runner = None  # set per test, once its dispatcher runs
    yield live_kit


async def running(kit: QueueKit, *, concurrency: int = 8) -> Dispatcher:
    dispatcher = await kit.start(kit.dispatcher(concurrency=concurrency))
    kit.queue.local_runner = dispatcher
    return dispatcher


async def collecting_clicks(kit: QueueKit) -> tuple[list[int], Dispatcher]:
    """A batch subscriber that records each ``Clicked``'s number, and the running dispatcher."""
    ran: list[int] = []

    async def handle(events: list[Clicked]) -> None:
        ran.extend(e.n for e in events)

    kit.bus.subscribe_batch(Clicked, handle, batch_size=50)
    return ran, await running(kit)


class Notifications:
    """Every notification on the queue's channel, with a marker to know all earlier ones have arrived."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.payloads: list[str] = []

    async def settle(self, kit: QueueKit) -> list[str]:
        """The notifications sent before now (PostgreSQL delivers them in commit order)."""
        async with kit.engine.connect() as conn:
            await conn.execute(text("SELECT pg_notify(:channel, 'marker')"), {"channel": CHANNEL})
            await conn.commit()
        await wait_until(lambda: "marker" in self.payloads, within=5)
        return [p for p in self.payloads if p != "marker"]


def due_second(moment: datetime, kind: str) -> str:
    """A notification's payload: the second the job is due, rounded down, and its kind."""
    return f"{math.floor(moment.timestamp())} {kind}"


@pytest.fixture
async def notifications(local_kit: QueueKit) -> AsyncIterator[Notifications]:
    conn = await asyncpg.connect(asyncpg_dsn(local_kit.engine))
    seen = Notifications(conn)
    await conn.add_listener(CHANNEL, lambda _c, _pid, _channel, payload: seen.payloads.append(payload))
    yield seen
    await conn.close()


async def test_an_event_runs_here_when_its_change_commits_with_no_notification_and_no_claim(
    local_kit: QueueKit, notifications: Notifications
) -> None:
    got: list[list[int]] = []

    async def handle(events: list[Clicked]) -> None:
        got.append([e.n for e in events])

    local_kit.bus.subscribe_batch(Clicked, handle, batch_size=50)
    dispatcher = await running(local_kit)

    async with local_kit.db.uow() as uow:
        uow.publish(*(Clicked(n=n) for n in range(3)))
    await wait_until(lambda: bool(got))
    await wait_until(lambda: not dispatcher._in_flight)

    assert got == [[0, 1, 2]], "the three events, together, in the order published"
    assert await notifications.settle(local_kit) == [], "no dispatcher was woken"
    assert await local_kit.count("state = 'done' AND attempts = 1") == 3
    assert dispatcher._reserved_total == 0


async def test_jobs_one_change_writes_in_several_calls_run_as_one_batch(
    local_kit: QueueKit, notifications: Notifications
) -> None:
    """A transaction that queues a batch kind's jobs one call at a time (six DMs requested in a loop) keeps
    one room for them: they run together, not as six batches at once (which would, say, open one DM
    channel six times); a batch size caps each batch, and the room is freed when they start."""
    batches: list[list[int]] = []

    async def handle(jobs: list[Job]) -> dict[int, Exception]:
        batches.append([job.payload["n"] for job in jobs])
        return {}

    local_kit.queue.register_batch("grouped", handle, batch_size=4, max_concurrency=2)
    dispatcher = await running(local_kit, concurrency=8)
    async with local_kit.db.uow() as uow:
        for n in range(6):
            await local_kit.queue.enqueue(uow.session, "grouped", {"n": n})
        assert dispatcher._reserved_total == 2, "two slots: batches of four and two"
    await wait_until(lambda: sum(map(len, batches)) == 6)
    await wait_until(lambda: not dispatcher._in_flight)

    assert batches == [[0, 1, 2, 3], [4, 5]], "in the order written, batch by batch"
    assert await notifications.settle(local_kit) == [], "all ran here: no dispatcher was woken"
    assert await local_kit.count("state = 'done' AND attempts = 1") == 6
    assert dispatcher._reserved_total == 0


async def test_a_change_that_rolls_back_runs_nothing_and_frees_the_room(local_kit: QueueKit) -> None:
    ran, dispatcher = await collecting_clicks(local_kit)

    with pytest.raises(RuntimeError):
        async with local_kit.db.uow() as uow:
            uow.publish(Clicked(n=1))
            await uow.session.flush()
            await local_kit.bus.stage(uow.session, [Clicked(n=2)])
            assert dispatcher._reserved_total == 1
            raise RuntimeError("the change failed")

    assert dispatcher._reserved_total == 0
    assert await local_kit.count() == 0
    async with local_kit.db.uow() as uow:
        uow.publish(Clicked(n=3))
    await wait_until(lambda: ran == [3])


async def test_without_room_the_jobs_are_queued_and_claimed_as_before(
    local_kit: QueueKit, notifications: Notifications
) -> None:
    release, ran = slow_then_quick(local_kit)
    dispatcher = await running(local_kit, concurrency=1)
    async with local_kit.db.uow() as uow:
        await local_kit.queue.enqueue(uow.session, "slow", {})
    await wait_until(lambda: len(dispatcher._in_flight) == 1)

    before = local_kit.clock.now()
    async with local_kit.db.uow() as uow:
        await local_kit.queue.enqueue(uow.session, "quick", {})
    assert await local_kit.count("kind = 'quick' AND state = 'pending'") == 1
    notified = await notifications.settle(local_kit)
    assert notified in ([due_second(before, "quick")], [due_second(local_kit.clock.now(), "quick")]), (
        "it woke the dispatchers"
    )

    release.set()
    await wait_until(lambda: ran == ["slow", "quick"])


async def test_a_job_whose_key_a_pending_job_holds_or_due_later_is_queued_as_before(
    local_kit: QueueKit, notifications: Notifications
) -> None:
    ran: list[int] = []

    async def record(job: Job) -> None:
        ran.append(job.payload["n"])

    local_kit.queue.register("keyed", record)
    later = local_kit.clock.now() + timedelta(days=1)
    async with local_kit.db.uow() as uow:
        await local_kit.queue.enqueue(uow.session, "keyed", {"n": 0}, dedupe_key="held", due_at=later)
    await running(local_kit)
    assert await notifications.settle(local_kit) == [due_second(later, "keyed")]
    notifications.payloads.clear()

    before = local_kit.clock.now()
    async with local_kit.db.uow() as uow:
        await local_kit.queue.enqueue_many(
            uow.session,
            [
                NewJob("keyed", {"n": 1}, dedupe_key="fresh"),  # runs here
                NewJob("keyed", {"n": 2}, dedupe_key="held"),  # replaces the pending one, due now
                NewJob("keyed", {"n": 3}, due_at=later),  # waits
            ],
        )
    await wait_until(lambda: sorted(ran) == [1, 2])
    now = {due_second(before, "keyed"), due_second(local_kit.clock.now(), "keyed")}
    queued = await notifications.settle(local_kit)
    assert len(queued) == 2 and due_second(later, "keyed") in queued, "the queued ones woke the dispatchers"
    assert now & set(queued), "the one due now among them"
    assert await local_kit.count("dedupe_key = 'held'") == 1, "replaced, not doubled"
    assert await local_kit.count("payload->>'n' = '3' AND state = 'pending'") == 1


async def test_a_commit_that_failed_on_the_wire_puts_its_jobs_back_in_the_queue(local_kit: QueueKit) -> None:
    """The COMMIT went through but its answer was lost: the jobs must still run, here or elsewhere."""
    ran, dispatcher = await collecting_clicks(local_kit)

    with pytest.raises(DatabaseUnavailable):
        async with local_kit.db.uow() as uow:
            uow.publish(Clicked(n=7))
            session = uow.session
            commit = session.commit

            async def commit_then_lose_the_answer() -> None:
                await commit()
                raise ConnectionResetError("connection reset after COMMIT")

            session.commit = commit_then_lose_the_answer  # type: ignore[method-assign]

    await wait_until(lambda: ran == [7])
    await wait_until(lambda: not dispatcher._in_flight)
    assert await local_kit.count("state = 'done' AND attempts = 1") == 1
    assert dispatcher._reserved_total == 0


async def test_jobs_handed_over_while_an_answer_is_in_flight_start_once_it_is_out(
    local_kit: QueueKit, notifications: Notifications
) -> None:
    """A click's change commits; its follow-up jobs wait for the answers being worked on in the process
    (its own and the other clicks'), then run here as usual: no notification, no claim."""
    got: list[list[int]] = []

    async def handle(events: list[Clicked]) -> None:
        got.append([e.n for e in events])

    local_kit.bus.subscribe_batch(Clicked, handle, batch_size=50)
    dispatcher = await running(local_kit)
    dispatcher.foreground = foreground = Foreground()
    sent = asyncio.Event()

    async def answer_a_click() -> None:
        with foreground.answering():
            async with local_kit.db.uow() as uow:
                uow.publish(Clicked(n=1))
            await sent.wait()  # the answer on its way to Discord

    answering = asyncio.create_task(answer_a_click())
    await wait_until(lambda: any(t.get_name() == "queue-local-after-answers" for t in dispatcher._background))
    assert got == [] and not dispatcher._in_flight, "the answer goes first"
    assert await local_kit.count("state = 'running'") == 1, "claimed here already, waiting"

    sent.set()
    await answering
    await wait_until(lambda: got == [[1]])
    await wait_until(lambda: not dispatcher._in_flight)
    assert await notifications.settle(local_kit) == []
    assert await local_kit.count("state = 'done' AND attempts = 1") == 1
    assert dispatcher._reserved_total == 0


async def test_jobs_handed_over_wait_for_the_answers_only_so_long(
    local_kit: QueueKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    got: list[int] = []

    async def handle(events: list[Clicked]) -> None:
        got.extend(e.n for e in events)

    monkeypatch.setattr("gamesched.core.dispatcher.FOREGROUND_WAIT_SECONDS", 0.05)
    local_kit.bus.subscribe_batch(Clicked, handle, batch_size=50)
    dispatcher = await running(local_kit)
    dispatcher.foreground = foreground = Foreground()
    with foreground.answering():  # an answer that takes its time: the jobs do not wait for it
        async with local_kit.db.uow() as uow:
            uow.publish(Clicked(n=7))
        await wait_until(lambda: got == [7])
        assert foreground.busy


async def test_stopping_gives_the_jobs_waiting_for_the_answers_back_to_the_queue_before_it_returns(
    local_kit: QueueKit,
) -> None:
    """A shutdown while a click is answered: its change's follow-up jobs are pending again (for the next
    process to claim at once) when ``stop`` returns, not left claimed by a process that is going away."""
    got: list[int] = []

    async def handle(events: list[Clicked]) -> None:
        got.extend(e.n for e in events)

    local_kit.bus.subscribe_batch(Clicked, handle, batch_size=50)
    dispatcher = await running(local_kit)
    dispatcher.foreground = foreground = Foreground()
    with foreground.answering():  # the answer is still on its way when the process is told to stop
        async with local_kit.db.uow() as uow:
            uow.publish(Clicked(n=5))
        assert await local_kit.count("state = 'running'") == 1, "claimed here, waiting for the answer"
        await dispatcher.stop(grace_seconds=5)
        assert await local_kit.count("state = 'pending' AND claimed_by IS NULL") == 1
        assert got == [], "not run by the process that stopped"
        assert dispatcher._reserved_total == 0


async def test_foreground_counts_answers_and_is_quiet_when_the_last_is_out() -> None:
    foreground = Foreground()
    await asyncio.wait_for(foreground.quiet(within=60), 1)  # nothing in flight: at once
    with foreground.answering():
        with foreground.answering():
            assert foreground.busy
        waiting = asyncio.create_task(foreground.quiet(within=60))
        await asyncio.sleep(0)
        assert foreground.busy and not waiting.done(), "one answer is still in flight"
    await asyncio.wait_for(waiting, 1)
    assert not foreground.busy
