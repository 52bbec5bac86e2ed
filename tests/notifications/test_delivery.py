"""DMs through the queue with the real bot: delivered once per key, closed DMs fall back to one channel post."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text as sql

from gamesched.app import App
from gamesched.notifications import DirectMessage, DMRequest
from tests.world import fetch_world


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
    later = sandbox_app.clock.now().replace(microsecond=0)
    from datetime import timedelta

    dm = DMRequest(
        guild_id=world.guild_id(),
        user_id=carol,
        kind="joined",
        dedupe_key="joined:g3:carol",
        message=DirectMessage(content="You joined Game night."),
    )
    async with sandbox_app.db.uow(guild_id=world.guild_id()) as uow:
        await sandbox_app.notifier.request(uow.session, dm, due_at=later + timedelta(seconds=1))
    async with sandbox_app.db.uow(guild_id=world.guild_id()) as uow:
        assert await sandbox_app.notifier.cancel(uow.session, "joined:g3:carol") == 1
    await asyncio.sleep(1.5)
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
    record = await sandbox_app.notifier.sent(gid, f"reminder:g4:{user}")
    assert record is not None and record.outcome == "dms_closed" and record.fallback_posted_at is not None
    async with sandbox_app.db.uow(bypass_rls=True) as uow:
        job = (
            await uow.session.execute(
                sql("SELECT state, attempts FROM jobs WHERE dedupe_key = :key"),
                {"key": f"dm:reminder:g4:{user}"},
            )
        ).one()
    assert (job.state, job.attempts) == ("done", 1)  # settled at the first answer, never retried
