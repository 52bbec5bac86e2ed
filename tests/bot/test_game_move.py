"""Moving a game to another channel: its players are told where it went, and the seats stay as the host
saw them."""

from __future__ import annotations

import httpx

from gamesched.app import App
from tests.bot.conftest import Login, dms, eventually, schedule
from tests.world import World


async def test_a_moved_game_keeps_its_max_players_and_tells_its_players_the_new_channel(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    gid, rpg, bob = world.guild_id(), world.channel_id("rpg"), world.user_id("bob")
    alice = await login("alice")
    assert (
        await alice.patch(f"/api/v1/guilds/{gid}/channels/{rpg}/settings", json={"max_players": 4})
    ).status_code == 200
    game = await schedule(login, world, title="Catan night", initial_participants=["@bob"])
    assert (game["max_players"], game["settings_sources"]["max_players"]) == (10, "default")

    # The edit form, as the browser sends it: max players left empty (it was inherited), another channel.
    form = {
        "_csrf_token": alice.cookies.get("csrftoken"),
        "title": game["title"],
        "scheduled_at": game["scheduled_at"],
        "channel_id": str(rpg),
        "max_players": "",
        "version": str(game["version"]),
    }
    saved = await alice.post(f"/games/{game['id']}/edit", data=form)
    assert saved.status_code == 303, saved.text[:2000]

    moved = (await alice.get(f"/api/v1/games/{game['id']}")).json()
    assert moved["channel_id"] == str(rpg)
    assert (moved["max_players"], moved["settings_sources"]["max_players"]) == (10, "game")

    async def told() -> list[str]:
        return [m["content"] for m in await dms(api, bob) if "moved to" in (m.get("content") or "")]

    [text] = await eventually(told)
    assert f"It moved to <#{rpg}>" in text and "**Catan night**" in text
