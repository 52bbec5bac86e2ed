"""The /game create form's replies: every problem at once, in sentences about what was typed (issue 13)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from gamesched.app import App
from tests.bot.conftest import Login, command, ephemeral_text, schedule
from tests.world import World

FILLING_IN = 0.3  # as in test_commands: Discord shows the form before anyone submits it


async def test_a_form_with_several_problems_gets_one_reply_naming_each_in_words(
    bot_app: App, world: World, api: httpx.AsyncClient
) -> None:
    alice, channel = world.user_id("alice"), world.channel_id("rpg")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    form = (await command(api, alice, channel, "game create")).json()["response"]["data"]
    await asyncio.sleep(FILLING_IN)
    answer = await api.post(
        "/interactions",
        json={
            "type": "modal",
            "user_id": str(alice),
            "channel_id": str(channel),
            "custom_id": form["custom_id"],
            # Discord holds the title to 200 characters in its form; the bot does not rely on it.
            "values": {"title": "x" * 201, "when": yesterday, "description": "", "max_players": "lots"},
        },
    )
    text = ephemeral_text(answer.json())
    assert "The title can have at most 200 characters." in text, text
    assert "The game must be scheduled in the future." in text, text
    assert "Max players must be a whole number from 1 to 100." in text, text
    assert "Expected" not in text and "`" not in text and "$." not in text, text
    assert (await bot_app.games.queries.list(alice, guild_id=world.guild_id())).items == []


async def test_settings_commands_hold_text_to_the_same_limits_as_the_dashboard(
    bot_app: App, world: World, api: httpx.AsyncClient
) -> None:
    alice, channel = world.user_id("alice"), world.channel_id("rpg")
    answer = await command(api, alice, channel, "config-channel", category="c" * 101)
    assert ephemeral_text(answer.json()) == "The category can have at most 100 characters (this has 101)."
    answer = await command(api, alice, channel, "config-guild", instructions="i" * 1001)
    assert ephemeral_text(answer.json()) == (
        "The signup instructions can have at most 1000 characters (this has 1001)."
    )
    answer = await command(api, alice, channel, "config-guild", host_role=str(world.role_id("gamesched")))
    assert "@gamesched belongs to an integration (such as this bot)" in ephemeral_text(answer.json())


async def test_list_and_my_games_show_a_description_typed_on_a_form_without_stray_line_ends(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    # As a browser's form sends a textarea, and as games stored before the input was cleaned hold it.
    await schedule(login, world, title="Catan night", description="Bring snacks.\r\nNew players welcome.")
    await schedule(login, world, title="Old", description="placeholder")
    async with bot_app.db.uow(bypass_rls=True) as uow:
        await uow.session.execute(
            text("UPDATE games SET description = E'Old\\r\\ntext\\r' WHERE title = 'Old'")
        )
    alice, board_games = world.user_id("alice"), world.channel_id("board-games")
    for name in ("list-games", "my-games"):
        answer = (await command(api, alice, board_games, name)).json()
        values = [f["value"] for f in answer["response"]["data"]["embeds"][0]["fields"]]
        assert any("Bring snacks. New players welcome." in v for v in values), values
        assert any("Old text" in v for v in values), values
        assert not any("\r" in v for v in values), values
