"""Templates through the real bot and the sandbox: /game create's template option (autocomplete shows what
the member may host with), the game announced in the template's channel pinging its notify roles, and its
player roles gating the Join button."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from gamesched.app import App
from tests.bot.conftest import Login, announcement, click, command, ephemeral_text, eventually, messages
from tests.world import World

FILLING_IN = 0.3


async def _suggested(
    api: httpx.AsyncClient, user_id: int, channel_id: int, typed: str = ""
) -> list[dict[str, Any]]:
    answer = await api.post(
        "/interactions",
        json={
            "type": "autocomplete",
            "user_id": str(user_id),
            "channel_id": str(channel_id),
            "name": "game create",
            "options": {"template": typed},
            "focused": "template",
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["response"]["type"] == 8
    return list(answer.json()["response"]["data"]["choices"])


async def test_game_create_from_a_template_announces_in_its_channel_pings_and_gates_joining(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    gid, general, rpg = world.guild_id(), world.channel_id("general"), world.channel_id("rpg")
    player, host_role = world.role_id("Player"), world.role_id("Game Host")
    heidi, frank, dave = world.user_id("heidi"), world.user_id("frank"), world.user_id("dave")
    response = await api.patch(f"/guilds/{gid}/roles/{player}", json={"mentionable": True})
    assert response.status_code == 200, response.text
    alice = await login("alice")
    await alice.patch(f"/api/v1/guilds/{gid}/settings", json={"host_role_ids": [str(host_role)]})
    made = await alice.post(
        f"/api/v1/guilds/{gid}/templates",
        json={
            "name": "RPG night",
            "channel_id": str(rpg),
            "notify_role_ids": [str(player)],
            "player_role_ids": [str(player)],
            "host_role_ids": [str(host_role)],
            "max_players": 3,
        },
    )
    assert made.status_code == 201, made.text
    template = made.json()

    assert [c["name"] for c in await _suggested(api, heidi, general)] == ["Default (default)", "RPG night"]
    assert await _suggested(api, heidi, general, "rp") == [{"name": "RPG night", "value": template["id"]}]
    assert await _suggested(api, frank, general) == []  # no host role: no template to host with

    refused = (await command(api, frank, general, "game create", template=template["id"])).json()
    assert "Only @Game Host members and bot managers" in ephemeral_text(refused)
    assert "RPG night" in ephemeral_text(refused)

    opened = (await command(api, heidi, general, "game create", template=template["id"])).json()
    assert opened["response"]["type"] == 9, opened
    form = opened["response"]["data"]
    when = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
    await asyncio.sleep(FILLING_IN)
    done = await api.post(
        "/interactions",
        json={
            "type": "modal",
            "user_id": str(heidi),
            "channel_id": str(general),
            "custom_id": form["custom_id"],
            "values": {"title": "Crypt crawl", "when": when.strftime("%Y-%m-%d %H:%M")},
        },
    )
    assert done.status_code == 200, done.text
    assert "Scheduled **Crypt crawl**" in ephemeral_text(done.json())
    assert f"<#{rpg}>" in ephemeral_text(done.json())

    games = (await alice.get("/api/v1/games", params={"guild_id": gid})).json()["items"]
    [game] = [g for g in games if g["title"] == "Crypt crawl"]
    assert game["channel_id"] == str(rpg) and game["template_name"] == "RPG night"
    assert game["max_players"] == 3 and game["notify_role_ids"] == [str(player)]
    posted = await announcement(api, game)
    assert posted["content"] == f"<@&{player}>"
    assert posted["pinged"] == {"users": [], "roles": [str(player)], "everyone": False}
    assert not [m for m in await messages(api, general) if m.get("embeds")]

    no_role = await click(api, frank, posted, f"game:join:{game['id']}")
    assert "Only @Player members can join" in no_role["response"]["data"]["content"]
    joined = await click(api, dave, posted, f"game:join:{game['id']}")
    assert joined["response"]["data"]["flags"] & 64
    await eventually(
        lambda: _confirmed(alice, game["id"]),
    )


async def _confirmed(client: httpx.AsyncClient, game_id: str) -> list[str]:
    game = (await client.get(f"/api/v1/games/{game_id}")).json()
    return [p["display_name"] for p in game["participants"] if p["status"] == "confirmed"]


async def test_a_server_the_bot_joins_gets_a_default_template_in_its_first_channel(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    created = await api.post(
        "/guilds", json={"name": "New Club", "owner_id": str(world.user_id("judy")), "bot": True}
    )
    assert created.status_code in (200, 201), created.text
    guild = created.json()
    general = next(c["id"] for c in guild["channels"] if c["name"] == "general")
    judy = await login("judy")

    async def default() -> list[dict[str, Any]]:
        answer = await judy.get(f"/api/v1/guilds/{guild['id']}/templates")
        return list(answer.json()) if answer.status_code == 200 else []

    [template] = await eventually(default)
    assert template["is_default"] and template["name"] == "Default"
    assert template["defaults"]["proposed_channel_id"] == str(general)
    assert template["channel_locked"] is False  # proposed, not locked: games may go elsewhere


async def test_game_create_without_a_template_follows_the_default_ones_locks(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    gid, board, rpg = world.guild_id(), world.channel_id("board-games"), world.channel_id("rpg")
    alice_id = world.user_id("alice")
    alice = await login("alice")
    [default] = (await alice.get(f"/api/v1/guilds/{gid}/templates")).json()
    locked = await alice.patch(
        f"/api/v1/guilds/{gid}/templates/{default['id']}",
        json={"channel_id": str(rpg), "channel_locked": True, "archive_delay_minutes": 45},
    )
    assert locked.status_code == 200, locked.text

    opened = (await command(api, alice_id, board, "game create")).json()
    assert opened["response"]["type"] == 9, opened
    when = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
    await asyncio.sleep(FILLING_IN)
    done = await api.post(
        "/interactions",
        json={
            "type": "modal",
            "user_id": str(alice_id),
            "channel_id": str(board),
            "custom_id": opened["response"]["data"]["custom_id"],
            "values": {"title": "Unnamed night", "when": when.strftime("%Y-%m-%d %H:%M")},
        },
    )
    assert done.status_code == 200, done.text
    # Asked in #board-games, announced where the default template says.
    assert f"<#{rpg}>" in ephemeral_text(done.json())
    games = (await alice.get("/api/v1/games", params={"guild_id": gid})).json()["items"]
    [game] = [g for g in games if g["title"] == "Unnamed night"]
    assert (game["channel_id"], game["template_name"]) == (str(rpg), "Default")
    assert game["archive_delay_minutes"] == 45
    assert sorted(game["locked_fields"]) == ["archive_delay_minutes", "channel_id"]


async def test_a_refused_form_made_from_a_template_comes_back_with_its_template(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    gid, general, rpg = world.guild_id(), world.channel_id("general"), world.channel_id("rpg")
    alice_id = world.user_id("alice")
    alice = await login("alice")
    made = await alice.post(
        f"/api/v1/guilds/{gid}/templates", json={"name": "One-shot", "channel_id": str(rpg), "max_players": 4}
    )
    assert made.status_code == 201, made.text
    template = made.json()
    opened = (await command(api, alice_id, general, "game create", template=template["id"])).json()
    when = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d 19:00")
    await asyncio.sleep(FILLING_IN)
    refused = (
        await api.post(
            "/interactions",
            json={
                "type": "modal",
                "user_id": str(alice_id),
                "channel_id": str(general),
                "custom_id": opened["response"]["data"]["custom_id"],
                "values": {"title": "Tomb", "when": when, "max_players": "200"},
            },
        )
    ).json()
    assert "Max players must be a whole number from 1 to 100." in ephemeral_text(refused)
    button = refused["message"]["components"][0]["components"][0]
    reopened = await click(api, alice_id, refused["message"], button["custom_id"])
    again = reopened["response"]["data"]
    assert template["id"] in again["custom_id"]
    await asyncio.sleep(FILLING_IN)
    done = (
        await api.post(
            "/interactions",
            json={
                "type": "modal",
                "user_id": str(alice_id),
                "channel_id": str(general),
                "custom_id": again["custom_id"],
                "values": {"title": "Tomb", "when": when, "max_players": ""},
            },
        )
    ).json()
    assert "Scheduled **Tomb**" in ephemeral_text(done), done
    [game] = [g for g in (await alice.get("/api/v1/games", params={"guild_id": gid})).json()["items"]]
    assert (game["channel_id"], game["max_players"], game["template_name"]) == (str(rpg), 4, "One-shot")
