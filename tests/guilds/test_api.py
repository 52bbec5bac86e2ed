"""Guild routes over HTTP, logged in through the sandbox's OAuth flow."""

from __future__ import annotations

from gamesched.app import App
from tests.login import login_as
from tests.world import fetch_world


async def test_guild_shows_settings_effective_values_and_permissions(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid = world.guild_id()
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        body = (await alice.get(f"/api/v1/guilds/{gid}")).json()
    assert body["name"] == "Sandbox Guild"
    assert body["is_manager"] is True
    assert body["effective"]["max_players"] == {"value": 10, "source": "default"}
    assert body["effective"]["reminder_minutes"] == {"value": [60, 15], "source": "default"}
    assert {r["name"] for r in body["roles"]} >= {"Game Host", "Player"}


async def test_manager_changes_defaults_and_channel_overrides_report_their_source(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid, rpg = world.guild_id(), world.channel_id("rpg")
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        guild = await alice.patch(
            f"/api/v1/guilds/{gid}/settings",
            json={
                "max_players": 6,
                "reminder_minutes": [30, 1440],
                "host_role_ids": [str(world.role_id("Game Host"))],
            },
        )
        assert guild.status_code == 200, guild.text
        assert guild.json()["effective"]["max_players"] == {"value": 6, "source": "guild"}
        assert guild.json()["effective"]["reminder_minutes"]["value"] == [1440, 30]

        channel = await alice.patch(
            f"/api/v1/guilds/{gid}/channels/{rpg}/settings", json={"max_players": 4, "category": "RPG"}
        )
        assert channel.status_code == 200, channel.text
        channels = {c["name"]: c for c in (await alice.get(f"/api/v1/guilds/{gid}/channels")).json()}
    assert channels["rpg"]["effective"]["max_players"] == {"value": 4, "source": "channel"}
    assert channels["rpg"]["category"] == "RPG"
    assert channels["board-games"]["effective"]["max_players"] == {"value": 6, "source": "guild"}
    assert channels["board-games"]["parent_name"] == "Games"
    assert "Games" not in channels, "categories are not channels games can be posted in"

    async with await login_as(sandbox_app.base_url, "alice") as alice:
        cleared = await alice.patch(
            f"/api/v1/guilds/{gid}/channels/{rpg}/settings", json={"max_players": None}
        )
    assert cleared.json()["effective"]["max_players"] == {"value": 6, "source": "guild"}


async def test_non_manager_cannot_change_settings(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid = world.guild_id()
    async with await login_as(sandbox_app.base_url, "frank") as frank:
        response = await frank.patch(f"/api/v1/guilds/{gid}/settings", json={"max_players": 2})
        channel = await frank.patch(
            f"/api/v1/guilds/{gid}/channels/{world.channel_id('rpg')}/settings", json={"max_players": 2}
        )
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert channel.status_code == 403


async def test_bad_settings_get_422_naming_the_field(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid = world.guild_id()
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        too_many = await alice.patch(f"/api/v1/guilds/{gid}/settings", json={"max_players": 500})
        unknown_role = await alice.patch(f"/api/v1/guilds/{gid}/settings", json={"host_role_ids": ["123"]})
        unknown_field = await alice.patch(f"/api/v1/guilds/{gid}/settings", json={"colour": "red"})
    assert too_many.status_code == 422
    assert too_many.json()["field"] == "max_players"
    assert unknown_role.status_code == 422
    assert unknown_role.json()["field"] == "host_role_ids"
    assert unknown_field.status_code == 422


async def test_member_search_for_mentions(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        response = await alice.get(f"/api/v1/guilds/{world.guild_id()}/members", params={"query": "@er"})
    assert response.status_code == 200, response.text
    found = response.json()
    assert [(m["username"], m["display_name"]) for m in found] == [("erin", "Erin the Bold")]


async def test_guild_you_are_not_in_is_404_on_every_route(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    other = world.guild_id("Other Guild")
    lobby = world.channel_id("lobby", guild="Other Guild")
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        responses = [
            await alice.get(f"/api/v1/guilds/{other}"),
            await alice.patch(f"/api/v1/guilds/{other}/settings", json={"max_players": 3}),
            await alice.get(f"/api/v1/guilds/{other}/channels"),
            await alice.patch(f"/api/v1/guilds/{other}/channels/{lobby}/settings", json={"max_players": 3}),
            await alice.get(f"/api/v1/guilds/{other}/members", params={"query": "o"}),
            await alice.get("/api/v1/guilds/42"),
        ]
    assert [r.status_code for r in responses] == [404] * 6
    assert all("Other Guild" not in r.text for r in responses)


async def test_guild_routes_need_login(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    import httpx

    async with httpx.AsyncClient(base_url=sandbox_app.base_url) as anonymous:
        response = await anonymous.get(f"/api/v1/guilds/{world.guild_id()}")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


TOO_BIG = "99999999999999999999"  # beyond PostgreSQL's BIGINT


async def test_ids_beyond_64_bits_in_paths_and_bodies_are_422_naming_the_field(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid = world.guild_id()
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        channel = await alice.patch(
            f"/api/v1/guilds/{gid}/channels/{TOO_BIG}/settings", json={"max_players": 3}
        )
        guild = await alice.get(f"/api/v1/guilds/{TOO_BIG}")
        roles = await alice.patch(f"/api/v1/guilds/{gid}/settings", json={"manager_role_ids": [TOO_BIG]})
    for response, field in ((channel, "channel_id"), (guild, "guild_id"), (roles, "manager_role_ids")):
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field
        assert "Discord id" in response.json()["message"] and "regex" not in response.json()["message"]


async def test_settings_take_json_booleans_only(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid, rpg = world.guild_id(), world.channel_id("rpg")
    url = f"/api/v1/guilds/{gid}/channels/{rpg}/settings"
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        lax = [await alice.patch(url, json={"is_active": value}) for value in (0, "false", "no")]
        channels = (await alice.get(f"/api/v1/guilds/{gid}/channels")).json()
        closed = await alice.patch(url, json={"is_active": False})
    for response in lax:
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "is_active"
    assert next(c for c in channels if c["name"] == "rpg")["is_active"] is True
    assert closed.status_code == 200 and closed.json()["is_active"] is False


async def test_settings_text_is_cleaned_like_every_user_text(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid, rpg = world.guild_id(), world.channel_id("rpg")
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        nul = await alice.patch(f"/api/v1/guilds/{gid}/settings", json={"signup_instructions": "Be\x00 nice"})
        bidi = await alice.patch(
            f"/api/v1/guilds/{gid}/channels/{rpg}/settings", json={"category": "\u202eGPR\u202c"}
        )
    assert nul.status_code == 422, nul.text
    assert nul.json()["field"] == "signup_instructions" and "NUL" in nul.json()["message"]
    assert bidi.status_code == 200 and bidi.json()["category"] == "GPR"


async def test_settings_refuse_roles_of_another_server_naming_the_field(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid, rpg = world.guild_id(), world.channel_id("rpg")
    foreign = str(world.role_id("Organizer", guild="Other Guild"))
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        guild = await alice.patch(f"/api/v1/guilds/{gid}/settings", json={"player_role_ids": [foreign]})
        channel = await alice.patch(
            f"/api/v1/guilds/{gid}/channels/{rpg}/settings", json={"host_role_ids": [foreign]}
        )
    for response, field in ((guild, "player_role_ids"), (channel, "host_role_ids")):
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field
        assert foreign in response.json()["message"]
