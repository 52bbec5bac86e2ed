"""The Join button refuses a member without the game's player roles with the sentence the web page shows."""

from __future__ import annotations

import httpx

from gamesched.app import App
from tests.bot.conftest import Login, announcement, click, ephemeral_text, schedule
from tests.world import World


async def test_the_join_button_names_the_roles_that_may_join(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, player_role_ids=[str(world.role_id("Player"))])
    message = await announcement(api, game)

    refused = await click(api, world.user_id("frank"), message, f"game:join:{game['id']}")
    assert ephemeral_text(refused) == "Only @Player members can join."
    seated = await click(api, world.user_id("dave"), message, f"game:join:{game['id']}")
    assert ephemeral_text(seated).startswith("You're in")
