"""A member with a configured host role hosts where the settings say so — on the web, the API and
``/game create`` alike — and a refusal names the roles, or the setting, that would allow it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from gamesched.app import App
from tests.bot.conftest import Login, command, ephemeral_text
from tests.world import World


def _when() -> str:
    return (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()


async def test_a_channel_host_role_lets_its_members_host_there_and_refusals_say_what_would_allow_it(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    gid, rpg, board = world.guild_id(), world.channel_id("rpg"), world.channel_id("board-games")
    alice, heidi = await login("alice"), await login("heidi")  # heidi holds @Game Host
    response = await alice.patch(
        f"/api/v1/guilds/{gid}/channels/{rpg}/settings",
        json={"host_role_ids": [str(world.role_id("Game Host"))]},
    )
    assert response.status_code == 200, response.text

    # The web: the form opens, offers the channel she may host in, and the header offers "New game".
    form = await heidi.get(f"/games/new?guild_id={gid}")
    assert form.status_code == 200, form.text
    assert f'value="{rpg}"' in form.text and f'value="{board}"' not in form.text
    assert f'href="/games/new?guild_id={gid}"' in form.text
    # The API: she hosts in #rpg; elsewhere the refusal names the setting that would allow it.
    made = await heidi.post(
        "/api/v1/games",
        json={"guild_id": str(gid), "channel_id": str(rpg), "title": "Dragon hunt", "scheduled_at": _when()},
    )
    assert made.status_code == 201, made.text
    refused = await heidi.post(
        "/api/v1/games",
        json={"guild_id": str(gid), "channel_id": str(board), "title": "Catan", "scheduled_at": _when()},
    )
    assert refused.status_code == 403
    assert refused.json()["message"] == (
        "Only bot managers can host games in #board-games: no host roles are set for it. A bot manager "
        "can add one under Host roles in the server settings or #board-games's channel settings."
    )
    # Discord: the same rule and the same sentences.
    heidi_id, frank_id = world.user_id("heidi"), world.user_id("frank")
    opened = (await command(api, heidi_id, rpg, "game create")).json()
    assert opened["response"]["type"] == 9, opened  # the form
    assert (
        ephemeral_text((await command(api, heidi_id, board, "game create")).json())
        == refused.json()["message"]
    )
    assert ephemeral_text((await command(api, frank_id, rpg, "game create")).json()) == (
        "Only @Game Host members and bot managers can host games in #rpg."
    )
    frank = await login("frank")
    nowhere = await frank.get(f"/games/new?guild_id={gid}")
    assert nowhere.status_code == 403
    assert "Only @Game Host members and bot managers can host games in this server." in nowhere.text
