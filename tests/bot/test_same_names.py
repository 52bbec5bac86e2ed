"""Two members who show the same name are told apart by their usernames on the game's page and in its JSON."""

from __future__ import annotations

import httpx

from gamesched.app import App
from tests.bot.conftest import Login, eventually, schedule
from tests.world import World


async def test_members_with_the_same_display_name_are_shown_with_their_usernames(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    gid = world.guild_id()
    for name in ("dave", "ivan"):
        member = {"nick": "Sam", "roles": [str(world.role_id("Player"))]}
        assert (await api.put(f"/guilds/{gid}/members/{world.user_id(name)}", json=member)).is_success
    alice = await login("alice")

    async def game_with_two_sams() -> dict | None:  # type: ignore[type-arg]
        game = await schedule(login, world, initial_participants=["@dave", "@ivan", "@erin"])
        names = [p["display_name"] for p in game["participants"]]
        return game if names[:2] == ["Sam (@dave)", "Sam (@ivan)"] else None

    game = await eventually(game_with_two_sams)  # once the bot has seen the new nicks
    assert [p["display_name"] for p in game["participants"]][2] == "Erin the Bold"  # no clash: as it was
    page = await alice.get(f"/games/{game['id']}")
    assert "Sam (@dave)" in page.text and "Sam (@ivan)" in page.text
