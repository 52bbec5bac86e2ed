"""DMs through the queue with the real bot: delivered once per key, closed DMs fall back to one channel post."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url
from sqlalchemy import text as sql

from gamesched.app import App
from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from gamesched.core.db import DATABASE_ERRORS
from gamesched.core.queue import Job, Postpone
from gamesched.notifications import DirectMessage, DMRequest
from gamesched.notifications.delivery import CHANNEL_MARGIN_SECONDS, CLAIM_AHEAD, DMDelivery
from tests.conftest import serving, wait_for_discord
from tests.db import admin_execute
from tests.world import World, fetch_world


async def _dms(app: App, user_id: int) -> list[dict]:  # type: ignore[type-arg]
    async with httpx.AsyncClient(base_url=app.base_url) as client:
        return list((await client.get(f"/sandbox/api/users/{user_id}/dms")).json())


async def _messages(app: App, channel_id: int) -> list[dict]:  # type: ignore[type-arg]
    async with httpx.AsyncClient(base_url=app.base_url) as client:
        return list((await client.get(f"/sandbox/api/channels/{channel_id}/messages")).json())


async def _until(check, within: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def _request(app: App, *dms: DMRequest) -> None:
    async with app.db.uow(guild_id=dms[0].guild_id) as uow:
        for dm in dms:
            await app.notifier.request(uow.session, dm)


async def test_dm_is_delivered_once_per_key(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    bob = world.user_id("bob")
    dm = DMRequest(
        guild_id=world.guild_id(),
        user_id=bob,
        kind="promoted",
        dedupe_key="promoted:g1:bob",
        message=DirectMessage(content="You're in: a seat opened up in **Game night**."),
    )
    await _request(sandbox_app, dm)

    async def delivered() -> bool:
        return len(await _dms(sandbox_app, bob)) == 1

    await _until(delivered)
    await _request(sandbox_app, dm)  # the same fact again (an at-least-once redelivery)
    await asyncio.sleep(0.5)
    messages = await _dms(sandbox_app, bob)
    assert [m["content"] for m in messages] == ["You're in: a seat opened up in **Game night**."]
    record = await sandbox_app.notifier.sent(world.guild_id(), "promoted:g1:bob")
    assert record is not None and record.outcome == "sent"


async def test_closed_dms_fall_back_to_one_channel_message_for_the_burst(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid, general = world.guild_id(), world.channel_id("general")
    async with httpx.AsyncClient(base_url=sandbox_app.base_url) as client:
        shy = (await client.post("/sandbox/api/users", json={"username": "shy", "dms_open": False})).json()
        await client.put(f"/sandbox/api/guilds/{gid}/members/{shy['id']}", json={})
    closed = [world.user_id("mallory"), int(shy["id"])]
    before = len(await _messages(sandbox_app, general))
    await _request(
        sandbox_app,
        *(
            DMRequest(
                guild_id=gid,
                user_id=user,
                kind="reminder",
                dedupe_key=f"reminder:g2:{user}",
                message=DirectMessage(content="Game night starts in 15 minutes."),
                channel_id=general,
                game_id="g2",
                fallback_summary="Game night starts in 15 minutes.",
            )
            for user in closed
        ),
    )

    async def posted() -> bool:
        return len(await _messages(sandbox_app, general)) > before

    await _until(posted)
    await asyncio.sleep(4)  # no second fallback message for the same burst
    new = (await _messages(sandbox_app, general))[before:]
    assert len(new) == 1
    assert all(f"<@{user}>" in new[0]["content"] for user in closed)
    assert "Game night starts in 15 minutes." in new[0]["content"]
    for user in closed:
        record = await sandbox_app.notifier.sent(gid, f"reminder:g2:{user}")
        assert record is not None and record.outcome == "dms_closed" and record.fallback_posted_at is not None


async def test_a_cancelled_dm_is_never_sent(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    carol = world.user_id("carol")

    dm = DMRequest(
        guild_id=world.guild_id(),
        user_id=carol,
        kind="joined",
        dedupe_key="joined:g3:carol",
        message=DirectMessage(content="You joined Game night."),
    )
    async with sandbox_app.db.uow(guild_id=world.guild_id()) as uow:
        await sandbox_app.notifier.request(
            uow.session, dm, due_at=sandbox_app.clock.now() + timedelta(minutes=1)
        )
    async with sandbox_app.db.uow(guild_id=world.guild_id()) as uow:
        assert await sandbox_app.notifier.cancel(uow.session, "joined:g3:carol") == 1
    async with sandbox_app.db.uow(bypass_rls=True) as uow:  # nothing is left that could send it
        assert (
            await uow.session.scalar(sql("SELECT count(*) FROM jobs WHERE dedupe_key LIKE 'dm:joined:%'"))
            == 0
        )
    assert await _dms(sandbox_app, carol) == []


async def test_a_dm_to_someone_who_left_every_shared_server_falls_back_and_is_not_retried(
    sandbox_app: App,
) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid, general = world.guild_id(), world.channel_id("general")
    async with httpx.AsyncClient(base_url=f"{sandbox_app.base_url}/sandbox/api") as client:
        gone = (await client.post("/users", json={"username": "gone"})).json()
        await client.put(f"/guilds/{gid}/members/{gone['id']}", json={})
        await client.delete(f"/guilds/{gid}/members/{gone['id']}")  # Discord now answers 50278, not 50007
    user = int(gone["id"])
    await _request(
        sandbox_app,
        DMRequest(
            guild_id=gid,
            user_id=user,
            kind="reminder",
            dedupe_key=f"reminder:g4:{user}",
            message=DirectMessage(content="Game night starts in 15 minutes."),
            channel_id=general,
            game_id="g4",
            fallback_summary="Game night starts in 15 minutes.",
        ),
    )

    async def posted() -> bool:
        return any(f"<@{user}>" in m["content"] for m in await _messages(sandbox_app, general))

    await _until(posted)

    async def recorded() -> bool:  # the post is made, then recorded in the same transaction's commit
        record = await sandbox_app.notifier.sent(gid, f"reminder:g4:{user}")
        return record is not None and record.fallback_posted_at is not None

    await _until(recorded)
    record = await sandbox_app.notifier.sent(gid, f"reminder:g4:{user}")
    assert record is not None and record.outcome == "dms_closed"
    async with sandbox_app.db.uow(bypass_rls=True) as uow:
        job = (
            await uow.session.execute(
                sql("SELECT state, attempts FROM jobs WHERE dedupe_key = :key"),
                {"key": f"dm:reminder:g4:{user}"},
            )
        ).one()
    assert (job.state, job.attempts) == ("done", 1)  # settled at the first answer, never retried


async def _job(app: App, dedupe_key: str) -> Any:
    async with app.db.uow(bypass_rls=True) as uow:
        return (
            await uow.session.execute(
                sql("SELECT state, attempts, last_error FROM jobs WHERE dedupe_key = :key"),
                {"key": f"dm:{dedupe_key}"},
            )
        ).one()


def _dm(world: World, user_id: int, key: str, content: str = "Game night starts in an hour.") -> DMRequest:
    return DMRequest(
        guild_id=world.guild_id(),
        user_id=user_id,
        kind="reminder",
        dedupe_key=key,
        message=DirectMessage(content=content),
        channel_id=world.channel_id("general"),
        game_id="g9",
        fallback_summary="Game night starts in an hour.",
    )


async def test_one_batch_settles_each_dm_on_its_own(sandbox_app: App) -> None:
    """A closed DM and a DM Discord refuses do not hold back the others of the same batch."""
    world = await fetch_world(sandbox_app.base_url)
    bob, carol, mallory = world.user_id("bob"), world.user_id("carol"), world.user_id("mallory")
    await _request(
        sandbox_app,
        _dm(world, bob, "batch:bob"),
        _dm(world, mallory, "batch:mallory"),  # DMs closed
        _dm(world, carol, "batch:carol", content="x" * 2001),  # over Discord's limit: 50035
    )

    async def settled() -> bool:
        job = await _job(sandbox_app, "batch:carol")
        return bool(job.state == "pending" and job.attempts == 1)

    await _until(settled)
    assert [m["content"] for m in await _dms(sandbox_app, bob)] == ["Game night starts in an hour."]
    assert (await _job(sandbox_app, "batch:bob")).state == "done"
    closed = await sandbox_app.notifier.sent(world.guild_id(), "batch:mallory")
    assert closed is not None and closed.outcome == "dms_closed"
    refused = await _job(sandbox_app, "batch:carol")
    assert refused.attempts == 1 and "50035" in refused.last_error
    assert await sandbox_app.notifier.sent(world.guild_id(), "batch:carol") is None
    assert await _dms(sandbox_app, carol) == []


async def test_a_dm_channel_is_opened_once_per_person_and_kept_across_restarts(
    app_settings: Settings,
) -> None:
    settings = app_settings.with_overrides(sandbox=True)
    opened: list[dict[str, Any]] = []
    for run, key in enumerate(("first", "second")):
        async with serving(settings) as app:
            await wait_for_discord(app)
            world = await fetch_world(app.base_url)
            bob = world.user_id("bob")
            async with httpx.AsyncClient(base_url=f"{app.base_url}/sandbox/api") as api:
                await api.delete("/log")
                await _request(app, _dm(world, bob, f"channel:{key}", content=f"DM {run}"))

                async def delivered(app: App = app, key: str = key, guild: int = world.guild_id()) -> bool:
                    return await app.notifier.sent(guild, f"channel:{key}") is not None

                await _until(delivered)
                calls = (await api.get("/log")).json()
            opened.append(
                {"run": run, "opens": [c for c in calls if c["path"].endswith("/users/@me/channels")]}
            )
            dm_calls = [c for c in calls if c["method"] == "POST" and "/messages" in c["path"]]
            assert [c["status"] for c in dm_calls] == [200]
            async with app.db.uow() as uow:
                kept = (await uow.session.execute(sql("SELECT user_id FROM dm_channels"))).all()
            assert [r.user_id for r in kept] == [bob]
    assert [len(o["opens"]) for o in opened] == [1, 0]


async def test_a_dm_that_went_out_while_the_database_was_down_is_recorded_later_and_not_sent_again(
    sandbox_app: App, database_url: str, pg_server_url: str
) -> None:
    world = await fetch_world(sandbox_app.base_url)
    bob = world.user_id("bob")
    name = make_url(database_url).database
    async with httpx.AsyncClient(base_url=f"{sandbox_app.base_url}/sandbox/api") as api:
        await api.post("/faults", json={"answer_delay": 1.0})  # Discord takes the DM, then answers late
        await _request(sandbox_app, _dm(world, bob, "outage:bob"))

        async def taken() -> bool:
            return len(await _dms(sandbox_app, bob)) == 1

        await _until(taken)
        await admin_execute(
            pg_server_url,
            f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false',
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
        )
        try:

            async def answered() -> bool:
                calls = (await api.get("/log")).json()
                return any(c["method"] == "POST" and c["path"].endswith("/messages") for c in calls)

            await _until(answered)  # the answer reached the app while it cannot write anything
            await asyncio.sleep(1.0)  # the outage goes on a little longer: recording fails meanwhile
        finally:
            await admin_execute(pg_server_url, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        await api.post("/faults", json={"answer_delay": 0})

    async def settled() -> bool:
        with contextlib.suppress(*DATABASE_ERRORS):
            return (await _job(sandbox_app, "outage:bob")).state == "done"
        return False

    await _until(settled, within=30)
    record = await sandbox_app.notifier.sent(world.guild_id(), "outage:bob")
    assert record is not None and record.outcome == "sent"
    assert (await _job(sandbox_app, "outage:bob")).attempts == 1
    assert len(await _dms(sandbox_app, bob)) == 1


async def test_dms_beyond_a_channels_burst_are_postponed_without_costing_an_attempt(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    bob = world.user_id("bob")
    keys = [f"burst:{n}" for n in range(6)]
    async with httpx.AsyncClient(base_url=f"{sandbox_app.base_url}/sandbox/api") as api:
        await api.delete("/log")
    await _request(sandbox_app, *(_dm(world, bob, key, content=f"DM {n}") for n, key in enumerate(keys)))

    async def first_four_sent() -> bool:
        return (
            len(await _dms(sandbox_app, bob)) == 4 and (await _job(sandbox_app, keys[-1])).state == "pending"
        )

    await _until(first_four_sent)
    jobs = [await _job(sandbox_app, key) for key in keys]
    assert [j.state for j in jobs] == ["done"] * 4 + ["pending"] * 2, "the earliest four first"
    async with httpx.AsyncClient(base_url=f"{sandbox_app.base_url}/sandbox/api") as api:
        calls = (await api.get("/log")).json()
    assert sum(c["path"].endswith("/users/@me/channels") for c in calls) == 1, "one DM channel, opened once"
    waiting = [j for j in jobs if j.state == "pending"]
    assert len(waiting) == 2 and all(j.attempts == 0 for j in waiting), "postponed, not failed"
    async with sandbox_app.db.uow(bypass_rls=True) as uow:
        due = (
            await uow.session.execute(
                sql("SELECT min(due_at) FROM jobs WHERE dedupe_key LIKE 'dm:burst:%' AND state = 'pending'")
            )
        ).scalar_one()
    assert (due - sandbox_app.clock.now()).total_seconds() > 3, (
        "back once Discord's 5-second window has passed"
    )


async def test_a_later_dm_has_its_channel_opened_ahead_so_it_costs_one_request_when_due(
    sandbox_app: App,
) -> None:
    """A DM due in an hour opens the recipient's DM channel now; when it falls due it is one request.
    (Discord opens a DM channel even to someone whose DMs are closed: only the message is refused.)"""
    world = await fetch_world(sandbox_app.base_url)
    carol, mallory = world.user_id("carol"), world.user_id("mallory")
    later = sandbox_app.clock.now() + timedelta(hours=1)
    async with httpx.AsyncClient(base_url=f"{sandbox_app.base_url}/sandbox/api") as api:
        await api.delete("/log")
        async with sandbox_app.db.uow(guild_id=world.guild_id()) as uow:
            await sandbox_app.notifier.request_many(
                uow.session,
                [_dm(world, carol, "ahead:carol"), _dm(world, mallory, "ahead:mallory")],
                due_at=later,
            )

        async def opened_ahead() -> bool:
            async with sandbox_app.db.uow(bypass_rls=True) as uow:
                states = (
                    await uow.session.execute(
                        sql("SELECT state FROM jobs WHERE kind = 'notifications.open_channels'")
                    )
                ).scalars()
                return set(states) == {"done"}

        # Not at once (a storm of joins is answered first): ten seconds on.
        async with sandbox_app.db.uow(bypass_rls=True) as uow:
            waits = (
                await uow.session.execute(
                    sql(
                        "SELECT extract(epoch FROM due_at) - :now FROM jobs"
                        " WHERE kind = 'notifications.open_channels' AND state = 'pending'"
                    ),
                    {"now": sandbox_app.clock.now().timestamp()},
                )
            ).scalars()
            assert [round(w) for w in waits] == [10, 10]
            await uow.session.execute(
                sql("UPDATE jobs SET due_at = now() WHERE kind = 'notifications.open_channels'")
            )
        await _until(opened_ahead)
        calls = (await api.get("/log")).json()
        assert sorted(c["status"] for c in calls if c["path"].endswith("/users/@me/channels")) == [200, 200]
        assert not [c for c in calls if "/messages" in c["path"]]
        async with sandbox_app.db.uow() as uow:
            kept = (await uow.session.execute(sql("SELECT user_id FROM dm_channels"))).scalars().all()
        assert sorted(kept) == sorted([carol, mallory])
        assert await _dms(sandbox_app, carol) == []

        await api.delete("/log")
        async with sandbox_app.db.uow(bypass_rls=True) as uow:  # the hour has passed
            await uow.session.execute(
                sql("UPDATE jobs SET due_at = now() WHERE dedupe_key = 'dm:ahead:carol'")
            )

        async def delivered() -> bool:
            return await sandbox_app.notifier.sent(world.guild_id(), "ahead:carol") is not None

        await _until(delivered)
        calls = (await api.get("/log")).json()
    assert [(c["method"], "/messages" in c["path"]) for c in calls] == [("POST", True)]
    assert [m["content"] for m in await _dms(sandbox_app, carol)] == ["Game night starts in an hour."]


class AnsweredWhenTold:
    """A messenger whose DMs get Discord's answer when the test says (Discord slow to answer, or our own
    sending slot and the global pace holding a DM back)."""

    def __init__(self) -> None:
        self.answer = asyncio.Event()
        self.sent: list[str] = []

    async def open_dm(self, user_id: int) -> int:
        return 9000 + user_id

    async def send_dm(self, channel_id: int, message: DirectMessage, *, nonce: str) -> None:
        await self.answer.wait()
        self.sent.append(message.content)

    async def post(self, channel_id: int, content: str, *, mention_user_ids: list[int]) -> None:
        raise AssertionError("no fallback here")


async def test_a_channels_window_counts_each_dm_from_when_discord_had_it_not_from_when_it_was_allowed(
    sandbox_app: App,
) -> None:
    """Four DMs to one person are allowed at once but reach Discord two seconds later: its 5-second window
    starts then, so a fifth waits until 5 s after they arrived (plus the margin), not 5 s after they were
    allowed (which Discord would refuse with a 429)."""
    clock = FakeClock()
    messenger = AnsweredWhenTold()
    delivery = DMDelivery(db=sandbox_app.db, queue=sandbox_app.queue, clock=clock, messenger=messenger)
    world = await fetch_world(sandbox_app.base_url)
    bob = world.user_id("bob")
    channels: dict[int, int] = {bob: 9000 + bob}

    sending = [
        asyncio.create_task(delivery._send(_dm(world, bob, f"w:{n}", f"DM {n}"), channels, {}))
        for n in range(4)
    ]
    await asyncio.sleep(0)
    fifth = await delivery._send(_dm(world, bob, "w:4", "DM 4"), channels, {})
    assert isinstance(fifth, Postpone), "four on their way already"

    clock.advance(seconds=2)
    messenger.answer.set()
    assert await asyncio.gather(*sending) == ["sent"] * 4
    clock.advance(seconds=4)  # 6 s after they were allowed, 4 s after Discord had them
    still = await delivery._send(_dm(world, bob, "w:4", "DM 4"), channels, {})
    assert isinstance(still, Postpone) and still.seconds == pytest.approx(1.0 + CHANNEL_MARGIN_SECONDS)

    clock.advance(seconds=1.0 + CHANNEL_MARGIN_SECONDS)
    assert await delivery._send(_dm(world, bob, "w:4", "DM 4"), channels, {}) == "sent"
    assert messenger.sent == ["DM 0", "DM 1", "DM 2", "DM 3", "DM 4"]


class SentWhen:
    """A messenger that notes the clock's time of each DM it sends."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sent: list[tuple[str, Any]] = []

    async def open_dm(self, user_id: int) -> int:
        return 9000 + user_id

    async def send_dm(self, channel_id: int, message: DirectMessage, *, nonce: str) -> None:
        self.sent.append((message.content, self.clock.now()))

    async def post(self, channel_id: int, content: str, *, mention_user_ids: list[int]) -> None:
        raise AssertionError("no fallback here")


def _delivery_on_a_fake_clock(app: App, first_due: datetime) -> tuple[FakeClock, SentWhen, DMDelivery]:
    """A delivery whose clock stands ``CLAIM_AHEAD`` before ``first_due``, as when the dispatcher claims ahead,
    and moves only when the test moves it; its messenger notes when each DM went out."""
    clock = FakeClock(first_due - CLAIM_AHEAD)
    messenger = SentWhen(clock)
    return clock, messenger, DMDelivery(db=app.db, queue=app.queue, clock=clock, messenger=messenger)


async def _waiting_on(clock: FakeClock) -> None:
    async def sleeping() -> bool:
        return clock.sleeping > 0

    await _until(sleeping)


@contextlib.asynccontextmanager
async def _claimed_ahead(
    app: App, world: World, *dms: tuple[DMRequest, datetime]
) -> AsyncIterator[list[Job]]:
    """The DMs queued, and their jobs claimed as the dispatcher claims ahead, by a connection that stays
    open meanwhile (so that no dispatcher takes them for orphans)."""
    async with app.db.uow(guild_id=world.guild_id()) as uow:
        for dm, due in dms:
            await app.notifier.request(uow.session, dm, due_at=due)
    async with app.db.engine.connect() as claimer:
        rows = (
            await claimer.execute(
                sql(
                    "UPDATE jobs SET state = 'running', attempts = 1, claimed_by = pg_backend_pid()"
                    " WHERE dedupe_key = ANY(:keys)"
                    " RETURNING id, kind, payload, attempts, max_attempts, due_at, dedupe_key"
                ),
                {"keys": [f"dm:{dm.dedupe_key}" for dm, _ in dms]},
            )
        ).all()
        await claimer.commit()
        assert len(rows) == len(dms)
        yield sorted((Job(*row) for row in rows), key=lambda job: (job.due_at, job.id))


async def test_dms_claimed_ahead_are_looked_up_at_once_and_each_sent_at_its_due_time(
    sandbox_app: App,
) -> None:
    """The dispatcher hands over DM jobs before they are due (``CLAIM_AHEAD``): the batch's look-ups are
    done then, and each DM goes out at its own due time, not before."""
    world = await fetch_world(sandbox_app.base_url)
    bob, carol = world.user_id("bob"), world.user_id("carol")
    due = sandbox_app.clock.now() + timedelta(hours=1)
    later = due + timedelta(milliseconds=100)
    clock, messenger, delivery = _delivery_on_a_fake_clock(sandbox_app, due)
    first, second = _dm(world, bob, "ahead:1", "first"), _dm(world, carol, "ahead:2", "second")
    async with _claimed_ahead(sandbox_app, world, (first, due), (second, later)) as jobs:
        delivering = asyncio.create_task(delivery.deliver(jobs))

        async def first_sent() -> bool:
            return len(messenger.sent) == 1

        await _waiting_on(clock)
        assert messenger.sent == [], "looked up, but not due yet"
        clock.set(due)
        await _until(first_sent)
        assert messenger.sent == [("first", due)]
        await _waiting_on(clock)
        assert not delivering.done(), "the second DM of the batch is due later"
        clock.set(later)
        assert await delivering == {}
    assert messenger.sent == [("first", due), ("second", later)]
    for key in ("ahead:1", "ahead:2"):
        record = await sandbox_app.notifier.sent(world.guild_id(), key)
        assert record is not None and record.outcome == "sent"


async def test_a_dm_cancelled_after_its_batch_was_claimed_ahead_is_not_sent_and_the_rest_of_the_batch_is(
    sandbox_app: App,
) -> None:
    """``Notifier.cancel`` reaches a DM whose job was claimed ahead of its due time: the job is deleted, and
    the batch waiting for the moment drops it when the moment comes."""
    world = await fetch_world(sandbox_app.base_url)
    bob, carol = world.user_id("bob"), world.user_id("carol")
    due = sandbox_app.clock.now() + timedelta(hours=1)
    clock, messenger, delivery = _delivery_on_a_fake_clock(sandbox_app, due)
    kept, dropped = _dm(world, bob, "ahead:kept", "kept"), _dm(world, carol, "ahead:dropped", "dropped")
    async with _claimed_ahead(sandbox_app, world, (kept, due), (dropped, due)) as jobs:
        delivering = asyncio.create_task(delivery.deliver(jobs))
        await _waiting_on(clock)
        async with sandbox_app.db.uow(guild_id=world.guild_id()) as uow:
            assert await sandbox_app.notifier.cancel(uow.session, "ahead:dropped") == 1
        clock.set(due)
        assert await delivering == {}
    assert messenger.sent == [("kept", due)]
    assert await sandbox_app.notifier.sent(world.guild_id(), "ahead:dropped") is None
    record = await sandbox_app.notifier.sent(world.guild_id(), "ahead:kept")
    assert record is not None and record.outcome == "sent"
