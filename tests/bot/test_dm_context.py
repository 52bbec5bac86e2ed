"""DMs say enough to act on: which server, who added you and how to leave, where the game is and a link to
it, and why it was cancelled. Read from the sandbox's DMs; the app runs on a FakeClock (join DM delay and
reminders pass when the test moves it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from gamesched.app import App
from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from tests.bot.conftest import Login, announcement, command, ephemeral_text, eventually, schedule, serving_bot
from tests.bot.test_dm_relevance import JOIN_DM_DELAY, _pass, _posted, _texts
from tests.login import login_as
from tests.world import World, fetch_world

SERVER = "Server: **Sandbox Guild**"


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def bot_app(app_settings: Settings, fake_clock: FakeClock) -> AsyncIterator[App]:
    async with serving_bot(app_settings, join_dm_delay=JOIN_DM_DELAY, clock=fake_clock) as app:
        yield app


@pytest.fixture
async def world(bot_app: App) -> World:
    return await fetch_world(bot_app.base_url)


def _jump(message: dict[str, object], world: World) -> str:
    return f"https://discord.com/channels/{world.guild_id()}/{message['channel_id']}/{message['id']}"


async def test_a_player_the_host_added_hears_who_did_it_how_to_leave_and_which_server(
    bot_app: App, fake_clock: FakeClock, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world)
    message = await _posted(bot_app, fake_clock, api, game)
    alice = await login("alice")
    added = await alice.post(f"/api/v1/games/{game['id']}/participants", json={"mention": "@bob"})
    assert added.status_code == 201, added.text
    await _pass(bot_app, fake_clock, 0)  # the change is handled: its join DM is scheduled
    await _pass(bot_app, fake_clock, JOIN_DM_DELAY + 1)

    [text] = await eventually(lambda: _texts(api, world.user_id("bob")))
    host = game["host"]["display_name"]
    assert text.startswith(f"**{host}** added you. You're in **Catan night**")
    assert "Press Leave" in text
    assert _jump(message, world) in text  # the announcement, with its Leave button
    assert f"{bot_app.base_url}/games/{game['id']}" in text
    assert text.endswith(SERVER)


async def test_a_player_who_joined_alone_is_not_told_someone_added_them(
    bot_app: App, fake_clock: FakeClock, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world)
    await _posted(bot_app, fake_clock, api, game)
    carol = await login("carol")
    assert (await carol.post(f"/api/v1/games/{game['id']}/join")).status_code == 200
    await _pass(bot_app, fake_clock, 0)  # the change is handled: its join DM is scheduled
    await _pass(bot_app, fake_clock, JOIN_DM_DELAY + 1)

    [text] = await eventually(lambda: _texts(api, world.user_id("carol")))
    assert text.startswith("You're in **Catan night**")
    assert "added you" not in text and SERVER in text


async def test_reminders_say_where_with_markup_linked_and_link_the_game(
    bot_app: App, fake_clock: FakeClock, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    [guild] = [g for g in (await api.get("/world")).json()["guilds"] if g["id"] == str(world.guild_id())]
    [dice] = [e for e in guild["emojis"] if e["name"] == "dice"]
    starts = fake_clock.now() + timedelta(minutes=15, seconds=30)
    game = await schedule(
        login,
        world,
        scheduled_at=starts.isoformat(),
        reminder_minutes=[15],
        location="Upstairs with @heidi in #rpg, bring :dice:",
        initial_participants=["@bob"],
    )
    message = await _posted(bot_app, fake_clock, api, game)
    await _pass(bot_app, fake_clock, 31)  # the reminder is due

    heidi, rpg = world.user_id("heidi"), world.channel_id("rpg")
    where = f"Where: Upstairs with <@{heidi}> in <#{rpg}>, bring <:dice:{dice['id']}>"
    for name in ("bob", "alice"):  # a player, and the host
        [reminder] = await eventually(lambda n=name: _texts(api, world.user_id(n)))
        assert reminder.startswith("⏰")
        assert where in reminder
        assert f"Announcement: {_jump(message, world)}" in reminder
        assert f"Game page: {bot_app.base_url}/games/{game['id']}" in reminder
        assert reminder.endswith(SERVER)


async def test_the_cancellation_dm_carries_the_hosts_reason(
    bot_app: App, fake_clock: FakeClock, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world)
    await _posted(bot_app, fake_clock, api, game)
    async with await login_as(bot_app.base_url, "carol") as carol:
        assert (await carol.post(f"/api/v1/games/{game['id']}/join")).status_code == 200
    await _pass(bot_app, fake_clock, 0)  # the change is handled: its join DM is scheduled
    await _pass(bot_app, fake_clock, JOIN_DM_DELAY + 1)
    [joined] = await eventually(lambda: _texts(api, world.user_id("carol")))

    async with await login_as(bot_app.base_url, "alice") as alice:
        response = await alice.request(
            "DELETE", f"/api/v1/games/{game['id']}", json={"reason": "The table broke; next week instead."}
        )
        assert response.status_code == 200, response.text
        assert response.json()["told"] == 1
    await _pass(bot_app, fake_clock, 0)

    async def after_join() -> list[str]:
        return (await _texts(api, world.user_id("carol")))[1:]

    [cancelled] = await eventually(after_join)
    assert "**Catan night**" in cancelled and "was cancelled" in cancelled
    assert "Reason: The table broke; next week instead." in cancelled
    assert cancelled.endswith(SERVER)
    assert joined != cancelled


async def test_game_cancel_in_discord_takes_a_reason_and_says_who_was_told(
    bot_app: App, fake_clock: FakeClock, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, initial_participants=["@bob", "@carol"])
    await schedule(login, world, title="Dragon hunt")
    await _posted(bot_app, fake_clock, api, game)
    alice, bob, channel = world.user_id("alice"), world.user_id("bob"), int(game["channel_id"])

    async def offered(user_id: int, typed: str) -> list[dict[str, str]]:
        response = await api.post(
            "/interactions",
            json={
                "type": "autocomplete",
                "user_id": str(user_id),
                "channel_id": str(channel),
                "name": "game cancel",
                "options": {"game": typed},
                "focused": "game",
            },
        )
        assert response.status_code == 200, response.text
        return list(response.json()["response"]["data"]["choices"])

    [choice] = await offered(alice, "cat")  # her games whose title has what she typed, by id
    assert choice["value"] == game["id"] and choice["name"].startswith("Catan night · ")
    assert len(await offered(alice, "")) == 2
    assert await offered(bob, "") == []  # nothing of his to cancel

    refused = (await command(api, bob, channel, "game cancel", game="Catan night")).json()
    unknown = (await command(api, alice, channel, "game cancel", game="Chess")).json()
    answer = (
        await command(api, alice, channel, "game cancel", game="catan night", reason="Half of us are ill.")
    ).json()

    assert ephemeral_text(refused).startswith(
        "No upcoming game called 'Catan night' here is yours to cancel."
    )
    assert ephemeral_text(unknown).startswith("No upcoming game called 'Chess'")
    assert ephemeral_text(answer).startswith("Cancelled **Catan night** (<t:")
    assert ephemeral_text(answer).endswith(" — 2 people were told.")
    await _pass(bot_app, fake_clock, 0)
    await _pass(bot_app, fake_clock, 1)  # the announcement's refresh is coalesced a moment later
    [cancelled] = [t for t in await eventually(lambda: _texts(api, bob)) if "was cancelled" in t]
    assert "Reason: Half of us are ill." in cancelled
    embed = (await announcement(api, game, where=lambda m: "cancelled" in str(m["embeds"]))).get("embeds")[0]
    assert "Reason: Half of us are ill." in embed["description"]
