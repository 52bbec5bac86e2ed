"""What people type into the dashboard's forms and filters, and the sentences they get back (issue 13)."""

from __future__ import annotations

from tests.web.conftest import Login
from tests.world import World


async def test_the_server_games_filter_with_its_default_values_lists_the_games(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    page = await alice.get(f"/guilds/{world.guild_id()}?channel=&status=upcoming&category=")
    assert page.status_code == 200, page.text[:500]
