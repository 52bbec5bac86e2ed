"""DMs about games, delivered by the real bot: what players and hosts are told, and when."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text as sql

from benchmarks.harness import MOVE_REMINDERS
from gamesched.app import App
from tests.bot.conftest import (
    TEST_JOIN_DM_DELAY,
    Login,
    announcement,
    click,
    dms,
    eventually,
    messages,
    schedule,
)
from tests.world import World


async def _dm_texts(api: httpx.AsyncClient, user_id: int) -> list[str]:
    return [m["content"] for m in await dms(api, user_id)]


async def test_the_join_dm_comes_after_a_delay_with_the_signup_instructions(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, max_players=1, signup_instructions="Read the rules first.")
    message = await announcement(api, game)
    bob, carol = world.user_id("bob"), world.user_id("carol")
    await click(api, bob, message, f"game:join:{game['id']}")
    await click(api, carol, message, f"game:join:{game['id']}")
    assert await _dm_texts(api, bob) == []  # not at once: a quick change of mind stays quiet

    [joined] = await eventually(lambda: _dm_texts(api, bob), within=TEST_JOIN_DM_DELAY + 5)
    assert "You're in **Catan night**: seat 1 of 1" in joined
    assert "Read the rules first." in joined
    [waitlisted] = await eventually(lambda: _dm_texts(api, carol), within=5)
    assert "you're #1 on the waitlist" in waitlisted


async def test_leaving_before_the_join_dm_goes_out_sends_nothing(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world)
    message = await announcement(api, game)
    bob = world.user_id("bob")
    await click(api, bob, message, f"game:join:{game['id']}")
    await click(api, bob, message, f"game:leave:{game['id']}")

    await asyncio.sleep(TEST_JOIN_DM_DELAY + 1.5)
    assert await _dm_texts(api, bob) == []


async def test_closed_dms_fall_back_to_one_message_in_the_games_channel(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world)
    message = await announcement(api, game)
    mallory = world.user_id("mallory")  # does not accept DMs
    await click(api, mallory, message, f"game:join:{game['id']}")

    async def fallback() -> list[dict[str, Any]]:
        return [m for m in await messages(api, game["channel_id"]) if f"<@{mallory}>" in m["content"]]

    [posted] = await eventually(fallback, within=TEST_JOIN_DM_DELAY + 8)
    assert "couldn't DM" in posted["content"] and "**Catan night**" in posted["content"]
    assert posted["pinged"] == {"users": [str(mallory)], "roles": [], "everyone": False}
    async with bot_app.db.uow(guild_id=world.guild_id()) as uow:
        outcomes = (
            (
                await uow.session.execute(
                    sql("SELECT outcome FROM notifications WHERE starts_with(dedupe_key, :key)"),
                    {"key": f"joined:{game['id']}:{mallory}:"},
                )
            )
            .scalars()
            .all()
        )
    assert outcomes == ["dms_closed"]


async def test_a_new_time_is_dmed_to_everyone_on_the_roster_but_the_editor(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, max_players=1, initial_participants=["@alice", "@bob", "@carol"])
    later = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)
    alice = await login("alice")
    response = await alice.patch(f"/api/v1/games/{game['id']}", json={"scheduled_at": later.isoformat()})
    assert response.status_code == 200, response.text

    for name in ("bob", "carol"):
        [text] = await eventually(lambda n=name: _changed(api, world.user_id(n)))
        assert f"<t:{int(later.timestamp())}:F>" in text
    assert await _changed(api, world.user_id("alice")) == []


async def _changed(api: httpx.AsyncClient, user_id: int) -> list[str]:
    return [t for t in await _dm_texts(api, user_id) if "has changed" in t]


async def test_the_host_hears_when_a_player_they_added_drops_out(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, initial_participants=["@bob"])
    message = await announcement(api, game)
    bob = world.user_id("bob")
    await click(api, bob, message, f"game:leave:{game['id']}")

    async def told() -> list[str]:
        return [t for t in await _dm_texts(api, world.user_id("alice")) if "dropped out" in t]

    [text] = await eventually(told)
    assert f"<@{bob}>" in text and "**Catan night**" in text


async def test_removed_and_demoted_players_are_told(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, max_players=3, initial_participants=["@bob", "@carol", "@dave"])
    alice = await login("alice")
    bob_seat = next(p for p in game["participants"] if p["discord_id"] == str(world.user_id("bob")))
    assert (
        await alice.delete(f"/api/v1/games/{game['id']}/participants/{bob_seat['id']}")
    ).status_code == 200
    assert (await alice.patch(f"/api/v1/games/{game['id']}", json={"max_players": 1})).status_code == 200

    [removed] = await eventually(lambda: _dm_texts(api, world.user_id("bob")))
    assert "removed you from **Catan night**" in removed

    async def demoted() -> list[str]:
        return [t for t in await _dm_texts(api, world.user_id("dave")) if "moved you to the waitlist" in t]

    [text] = await eventually(demoted)
    assert "(#1)" in text


async def test_the_join_dm_of_a_host_selected_game_says_the_host_picks(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    """With "host selected with waitlist" a self-join waits for the host's pick, however many seats are free:
    not "the game is full"."""
    game = await schedule(login, world, max_players=4, signup_method="host_selected_with_waitlist")
    message = await announcement(api, game)
    carol = world.user_id("carol")
    await click(api, carol, message, f"game:join:{game['id']}")

    [text] = await eventually(lambda: _dm_texts(api, carol), within=TEST_JOIN_DM_DELAY + 5)
    assert "The host picks the players for **Catan night**" in text and "you're on the list" in text
    assert "full" not in text


async def test_a_joiners_dm_channel_is_opened_while_the_join_dm_waits(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    """When the join DM falls due, sending it is one request: the channel was opened during the delay (so
    is a reminder wave's, however many join at once)."""
    game = await schedule(login, world)
    message = await announcement(api, game)
    bob = world.user_id("bob")
    await api.delete("/log")
    await click(api, bob, message, f"game:join:{game['id']}")

    async def calls() -> list[tuple[str, str]]:
        return [
            (c["method"], c["path"])
            for c in (await api.get("/log")).json()
            if "/interactions/" not in c["path"]
        ]

    async def opened() -> list[tuple[str, str]]:
        return [c for c in await calls() if c[1].endswith("/users/@me/channels")]

    assert await eventually(opened, within=TEST_JOIN_DM_DELAY)
    async with bot_app.db.uow(bypass_rls=True) as uow:
        due = await uow.session.scalar(sql("SELECT state FROM jobs WHERE kind = 'notifications.join_dm_due'"))
    assert due == "pending", "the channel was opened while the join DM was still waiting"
    await eventually(lambda: _dm_texts(api, bob), within=TEST_JOIN_DM_DELAY + 5)
    sends = [c for c in await calls() if c[0] == "POST" and c[1].endswith("/messages")]
    assert len(await opened()) == 1 and len(sends) == 1


async def test_reminders_due_together_reach_every_player_once_each(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    """A wave: three games' reminders fall due at once (one game's 60- and 15-minute reminders both, as
    after an outage): handled together, every player and host gets each of their reminders once."""
    bob, carol, dave = world.user_id("bob"), world.user_id("carol"), world.user_id("dave")
    when = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    games = [
        await schedule(login, world, title="Wave A", scheduled_at=when, reminder_minutes=[60, 15],
                       initial_participants=["@bob", "@carol"]),
        await schedule(login, world, title="Wave B", scheduled_at=when, reminder_minutes=[60],
                       initial_participants=["@dave"]),
        await schedule(login, world, title="Wave C", scheduled_at=when, reminder_minutes=[60],
                       initial_participants=["@bob"], max_players=1),
    ]  # fmt: skip
    async with bot_app.db.engine.connect() as conn:  # the reminders' moment is now
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        moved = await driver.execute(MOVE_REMINDERS, datetime.now(UTC), None)
    assert moved == "UPDATE 4"

    async def reminders(user_id: int) -> list[str]:
        return sorted(t.split("**")[1] for t in await _dm_texts(api, user_id) if t.startswith("⏰"))

    async def settled() -> bool:  # every reminder handled and every DM it queued sent
        async with bot_app.db.uow(bypass_rls=True) as uow:
            busy = await uow.session.scalar(
                sql(
                    "SELECT count(*) FROM jobs WHERE state IN ('pending', 'running') AND kind IN"
                    " ('games.send_reminders', 'event.ReminderDue.send_reminders', 'notifications.deliver')"
                )
            )
        return busy == 0

    await eventually(settled, within=15)
    assert await reminders(bob) == ["Wave A", "Wave A", "Wave C"]
    assert await reminders(carol) == ["Wave A", "Wave A"]
    assert await reminders(dave) == ["Wave B"]
    assert await reminders(world.user_id("alice")) == ["Wave A", "Wave A", "Wave B", "Wave C"]
    assert len({g["id"] for g in games}) == 3
