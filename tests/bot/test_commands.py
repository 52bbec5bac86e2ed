"""Slash commands and forms through the real bot: listing, creating, settings, and their permissions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from gamesched.app import App
from tests.bot.conftest import Login, announcement, click, command, ephemeral_text, messages, schedule
from tests.world import World

#: A person needs a moment to fill in a form (the bot keeps the form once Discord confirmed showing it).
FILLING_IN = 0.3


async def test_list_games_shows_this_channels_games_or_all_of_them(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    await schedule(login, world, title="Catan night", description="Bring snacks")
    await schedule(login, world, title="Dragon hunt", channel_id=str(world.channel_id("rpg")))
    board_games, bob = world.channel_id("board-games"), world.user_id("bob")

    here = (await command(api, bob, board_games, "list-games")).json()
    everywhere = (await command(api, bob, board_games, "list-games", show_all=True)).json()
    there = (await command(api, bob, board_games, "list-games", channel=str(world.channel_id("rpg")))).json()
    empty = (await command(api, bob, world.channel_id("general"), "list-games")).json()

    assert here["response"]["data"]["flags"] & 64
    assert [f["name"] for f in here["response"]["data"]["embeds"][0]["fields"]] == ["Catan night"]
    assert "Bring snacks" in here["response"]["data"]["embeds"][0]["fields"][0]["value"]
    assert {f["name"] for f in everywhere["response"]["data"]["embeds"][0]["fields"]} == {
        "Catan night",
        "Dragon hunt",
    }
    assert [f["name"] for f in there["response"]["data"]["embeds"][0]["fields"]] == ["Dragon hunt"]
    assert ephemeral_text(empty) == f"No scheduled games in <#{world.channel_id('general')}>."


async def test_my_games_lists_what_you_host_and_what_you_joined(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    hosted = await schedule(login, world, "carol", title="Carol's game")  # carol may host: Manage Server
    other = await schedule(login, world, "alice", title="Alice's game")
    message = await announcement(api, other)
    carol = world.user_id("carol")
    await click(api, carol, message, f"game:join:{other['id']}")

    answer = (await command(api, carol, world.channel_id("general"), "my-games")).json()
    hosting, joined = answer["response"]["data"]["embeds"]
    assert hosting["title"] == "Games you host" and hosting["fields"][0]["name"] == hosted["title"]
    assert joined["title"] == "Games you joined" and joined["fields"][0]["name"] == "Alice's game"
    assert "you have seat 1" in joined["fields"][0]["value"]
    nothing = (await command(api, world.user_id("frank"), world.channel_id("general"), "my-games")).json()
    assert "not hosting or playing" in ephemeral_text(nothing)


async def test_game_create_opens_a_form_and_schedules_the_game(
    bot_app: App, world: World, api: httpx.AsyncClient
) -> None:
    alice, channel = world.user_id("alice"), world.channel_id("rpg")
    opened = (await command(api, alice, channel, "game create")).json()
    assert opened["response"]["type"] == 9  # a modal
    form = opened["response"]["data"]
    when = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)

    async def submit(values: dict[str, str]) -> dict:  # type: ignore[type-arg]
        await asyncio.sleep(FILLING_IN)
        response = await api.post(
            "/interactions",
            json={
                "type": "modal",
                "user_id": str(alice),
                "channel_id": str(channel),
                "custom_id": form["custom_id"],
                "values": values,
            },
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    done = await submit(
        {
            "title": "One-shot",
            "when": when.strftime("%Y-%m-%d %H:%M"),
            "description": "Level 3",
            "max_players": "5",
        }
    )

    assert "Scheduled **One-shot**" in ephemeral_text(done)
    assert f"<t:{int(when.timestamp())}:F>" in ephemeral_text(done)
    posted = [m for m in await _wait_for_title(api, channel, "One-shot")]
    assert "Players (0/5)" in str(posted[0]["embeds"][0]["fields"])


async def _wait_for_title(api: httpx.AsyncClient, channel: int, title: str) -> list[dict]:  # type: ignore[type-arg]
    from tests.bot.conftest import eventually

    async def found() -> list[dict]:  # type: ignore[type-arg]
        return [
            m for m in await messages(api, channel) if m["embeds"] and m["embeds"][0].get("title") == title
        ]

    result: list[dict] = await eventually(found)  # type: ignore[type-arg]
    return result


async def test_game_create_explains_a_time_it_cannot_read_and_who_may_host(
    bot_app: App, world: World, api: httpx.AsyncClient
) -> None:
    channel = world.channel_id("rpg")
    alice = world.user_id("alice")
    form = (await command(api, alice, channel, "game create")).json()["response"]["data"]
    await asyncio.sleep(FILLING_IN)
    bad = await api.post(
        "/interactions",
        json={
            "type": "modal",
            "user_id": str(alice),
            "channel_id": str(channel),
            "custom_id": form["custom_id"],
            "values": {"title": "Oops", "when": "next friday-ish", "description": "", "max_players": ""},
        },
    )
    assert "couldn't read 'next friday-ish'" in ephemeral_text(bad.json())

    frank = (await command(api, world.user_id("frank"), channel, "game create")).json()
    assert ephemeral_text(frank) == (
        "Only bot managers can host games in #rpg: no host roles are set for it. A bot manager can add one "
        "under Host roles in the server settings or #rpg's channel settings."
    )


async def test_game_create_form_refuses_hostile_text_and_far_off_times_with_a_sentence(
    bot_app: App, world: World, api: httpx.AsyncClient
) -> None:
    alice, channel = world.user_id("alice"), world.channel_id("rpg")
    soon = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    cases = [
        ({"title": "One\x00shot", "when": soon}, "The title contains a NUL byte"),
        ({"title": "Fine", "when": soon, "description": "Level\x003"}, "The description contains a NUL byte"),
        ({"title": "\u200b\u2060", "when": soon}, "A game needs a title."),
        ({"title": "Far off", "when": "9999-12-31 23:30"}, "at most 5 years ahead"),
        ({"title": "Too early", "when": "0001-01-01 00:00 Asia/Tokyo"}, "couldn't read"),
    ]
    for values, sentence in cases:
        form = (await command(api, alice, channel, "game create")).json()["response"]["data"]
        await asyncio.sleep(FILLING_IN)
        answer = await api.post(
            "/interactions",
            json={
                "type": "modal",
                "user_id": str(alice),
                "channel_id": str(channel),
                "custom_id": form["custom_id"],
                "values": {"description": "", "max_players": "", **values},
            },
        )
        assert answer.status_code == 200, answer.text
        assert sentence in ephemeral_text(answer.json()), (values, answer.json())
    listed = await bot_app.games.queries.list(alice, guild_id=world.guild_id())
    assert listed.items == []


async def test_config_commands_need_discord_permissions_and_the_services_say_so(
    bot_app: App, world: World, api: httpx.AsyncClient
) -> None:
    general = world.channel_id("general")
    alice, carol, bob = world.user_id("alice"), world.user_id("carol"), world.user_id("bob")

    saved = (await command(api, alice, general, "config-guild", max_players=8, reminders="30, 120")).json()
    assert ephemeral_text(saved).startswith("Server settings saved.")
    assert "Max players: 8 (server)" in ephemeral_text(saved)
    assert "Reminders: 120, 30 minutes before (server)" in ephemeral_text(saved)

    # Discord itself keeps the command from members without Manage Server.
    hidden = await command(api, bob, general, "config-guild", max_players=3)
    assert hidden.status_code == 403 and hidden.json()["error"] == "missing_permissions"

    # carol has Manage Server (Moderator), but once manager roles are set only they count.
    role = world.role_id("Game Host")
    assert "saved" in ephemeral_text(
        (await command(api, alice, general, "config-guild", manager_role=str(role))).json()
    )
    refused = (await command(api, carol, general, "config-guild", max_players=3)).json()
    assert ephemeral_text(refused) == "Only bot managers can change this server's settings."

    rpg = world.channel_id("rpg")
    channel = (await command(api, alice, rpg, "config-channel", max_players=4, active=False)).json()
    assert "closed for games" in ephemeral_text(channel) and "Max players: 4 (channel)" in ephemeral_text(
        channel
    )
    shown = (await command(api, alice, general, "config-channel", channel=str(rpg))).json()
    assert ephemeral_text(shown).startswith(f"Settings of <#{rpg}>:")
    hidden = await command(api, bob, rpg, "config-channel", max_players=2)
    assert hidden.status_code == 403
    bad = (await command(api, alice, general, "config-guild", reminders="soon")).json()
    assert "minutes before the start" in ephemeral_text(bad)


async def test_a_malformed_or_unknown_button_gets_a_polite_answer(
    bot_app: App, world: World, api: httpx.AsyncClient
) -> None:
    bot_id = int(world.raw["bot_user"]["id"])
    channel = world.channel_id("general")
    # A message with buttons the bot no longer understands (an older version's, or a mangled id).
    message = bot_app.sandbox.create_message(
        channel,
        bot_id,
        {
            "content": "old",
            "components": [
                {
                    "type": 1,
                    "components": [
                        {"type": 2, "style": 1, "label": "Join", "custom_id": "game:join:not-a-game"},
                        {"type": 2, "style": 1, "label": "Old", "custom_id": "join_game_123"},
                    ],
                }
            ],
        },
    )
    target = {"id": str(message.id), "channel_id": str(channel)}
    bob = world.user_id("bob")

    malformed = await click(api, bob, target, "game:join:not-a-game")
    unknown = await click(api, bob, target, "join_game_123")

    assert ephemeral_text(malformed) == "This game does not exist."
    assert "doesn't work any more" in ephemeral_text(unknown)
    assert unknown["latency_ms"] < 3000
