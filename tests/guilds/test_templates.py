"""Game templates over the JSON API: who manages and who sees them, locked fields and pre-filled defaults on
the games made from them, and the bad inputs."""

from __future__ import annotations

from typing import Any

import httpx

from gamesched.app import App
from tests.games.conftest import game_body, in_days
from tests.images.pictures import picture
from tests.login import login_as
from tests.world import World, fetch_world


async def _templates(client: httpx.AsyncClient, gid: int) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/guilds/{gid}/templates")
    assert response.status_code == 200, response.text
    return response.json()


async def _create(client: httpx.AsyncClient, gid: int, **body: Any) -> dict[str, Any]:
    response = await client.post(f"/api/v1/guilds/{gid}/templates", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_every_server_gets_a_default_template_that_cannot_be_deleted(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid = world.guild_id()
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        [default] = await _templates(alice, gid)
        refused = await alice.delete(f"/api/v1/guilds/{gid}/templates/{default['id']}")
        other = await _templates(alice, gid)
    assert default["is_default"] is True and default["name"] == "Default"
    # It proposes the first channel the bot can post in, without locking it (games made without naming a
    # template take the default one, so a locked channel would pin every such game there).
    assert default["channel_locked"] is False and default["locked"]["channel_id"] is None
    assert default["defaults"]["proposed_channel_id"] == str(world.channel_id("general"))
    assert refused.status_code == 409
    assert "default template" in refused.json()["message"]
    assert other == [default]


async def test_managers_create_edit_reorder_set_default_and_delete(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid = world.guild_id()
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        [default] = await _templates(alice, gid)
        one_shot = await _create(
            alice, gid, name="One-shot", max_players=4, channel_id=str(world.channel_id("rpg"))
        )
        campaign = await _create(
            alice, gid, name="Campaign", description="Weekly", reminder_minutes=[15, 1440]
        )
        assert [t["name"] for t in await _templates(alice, gid)] == ["Default", "One-shot", "Campaign"]
        assert campaign["defaults"]["reminder_minutes"] == [1440, 15]

        edited = await alice.patch(
            f"/api/v1/guilds/{gid}/templates/{one_shot['id']}", json={"name": "One shot", "max_players": None}
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["name"] == "One shot" and edited.json()["defaults"]["max_players"] is None

        order = await alice.put(
            f"/api/v1/guilds/{gid}/templates/order", json={"template_ids": [campaign["id"], one_shot["id"]]}
        )
        assert order.status_code == 200, order.text
        assert [t["name"] for t in order.json()] == ["Default", "Campaign", "One shot"]

        made_default = await alice.post(f"/api/v1/guilds/{gid}/templates/{campaign['id']}/default")
        assert made_default.status_code == 200, made_default.text
        listed = await _templates(alice, gid)
        assert [(t["name"], t["is_default"]) for t in listed] == [
            ("Campaign", True),
            ("One shot", False),
            ("Default", False),  # left out of the order: after those in it
        ]
        deleted = await alice.delete(f"/api/v1/guilds/{gid}/templates/{default['id']}")
        assert deleted.status_code == 204
        assert [t["name"] for t in await _templates(alice, gid)] == ["Campaign", "One shot"]


async def test_only_managers_manage_templates_and_hosts_see_those_of_their_roles(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid = world.guild_id()
    host_role, player_role = world.role_id("Game Host"), world.role_id("Player")
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        await alice.patch(f"/api/v1/guilds/{gid}/settings", json={"host_role_ids": [str(host_role)]})
        hosts_only = await _create(alice, gid, name="Hosts", host_role_ids=[str(host_role)])
        players = await _create(alice, gid, name="Players", host_role_ids=[str(player_role)])
    async with await login_as(sandbox_app.base_url, "heidi") as heidi:  # Game Host
        assert [t["name"] for t in await _templates(heidi, gid)] == ["Default", "Hosts"]
        refused = await heidi.post(f"/api/v1/guilds/{gid}/templates", json={"name": "Mine"})
        hidden = await heidi.get(f"/api/v1/guilds/{gid}/templates/{players['id']}")
        edit = await heidi.patch(f"/api/v1/guilds/{gid}/templates/{hosts_only['id']}", json={"name": "x"})
        used = await heidi.post(
            "/api/v1/games",
            json=game_body(world, template_id=players["id"], channel_id=str(world.channel_id("rpg"))),
        )
    async with await login_as(sandbox_app.base_url, "dave") as dave:  # Player, not a host anywhere else
        assert [t["name"] for t in await _templates(dave, gid)] == ["Players"]
        hosted = await dave.post(
            "/api/v1/games",
            json=game_body(world, template_id=players["id"], channel_id=str(world.channel_id("rpg"))),
        )
        plain = await dave.post(
            "/api/v1/games", json=game_body(world, channel_id=str(world.channel_id("rpg")))
        )
    assert refused.status_code == 403 and edit.status_code == 403
    assert hidden.status_code == 404
    assert used.status_code == 403
    assert "@Player" in used.json()["message"] and "Players" in used.json()["message"]
    assert hosted.status_code == 201, hosted.text
    assert hosted.json()["template_name"] == "Players"
    assert plain.status_code == 403


async def _game_from(
    world: World, alice: httpx.AsyncClient, template: dict[str, Any], **body: Any
) -> httpx.Response:
    channel = template["locked"]["channel_id"] or str(world.channel_id("board-games"))
    return await alice.post(
        "/api/v1/games", json=game_body(world, template_id=template["id"], channel_id=channel, **body)
    )


async def test_games_take_locked_fields_and_defaults_and_keep_them(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid, rpg = world.guild_id(), world.channel_id("rpg")
    player, host = str(world.role_id("Player")), str(world.role_id("Game Host"))
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        await alice.patch(f"/api/v1/guilds/{gid}/channels/{rpg}/settings", json={"max_players": 8})
        template = await _create(
            alice,
            gid,
            name="RPG night",
            channel_id=str(rpg),
            notify_role_ids=[player],
            player_role_ids=[player],
            max_players=5,
            duration_minutes=180,
            reminder_minutes=[30],
            location="Discord voice",
            signup_instructions="Bring a character",
            signup_methods=["self_signup", "host_selected"],
            default_signup_method="host_selected",
        )
        made = await _game_from(world, alice, template)
        assert made.status_code == 201, made.text
        game = made.json()
        assert game["channel_id"] == str(rpg)
        assert game["notify_role_ids"] == [player] and game["player_role_ids"] == [player]
        assert (game["max_players"], game["duration_minutes"], game["reminder_minutes"]) == (5, 180, [30])
        assert (game["location"], game["signup_instructions"]) == ("Discord voice", "Bring a character")
        assert game["signup_method"] == "host_selected"
        assert game["settings_sources"]["max_players"] == "template"  # the template beats #rpg's 8
        assert game["settings_sources"]["player_role_ids"] == "template"
        assert game["template_id"] == template["id"] and game["template_name"] == "RPG night"
        assert sorted(game["locked_fields"]) == ["channel_id", "notify_role_ids", "player_role_ids"]

        own = await _game_from(world, alice, template, max_players=3, signup_method="self_signup")
        assert own.status_code == 201, own.text
        assert own.json()["max_players"] == 3 and own.json()["settings_sources"]["max_players"] == "game"

        # Locked fields cannot differ: on create and on edit, the 422 names the template.
        elsewhere = await _game_from(
            world, alice, {**template, "locked": {"channel_id": str(world.channel_id("board-games"))}}
        )
        other_roles = await _game_from(world, alice, template, player_role_ids=[host])
        not_allowed = await _game_from(world, alice, template, signup_method="role_based")
        moved = await alice.patch(
            f"/api/v1/games/{game['id']}", json={"channel_id": str(world.channel_id("board-games"))}
        )
        unrestricted = await alice.patch(f"/api/v1/games/{game['id']}", json={"player_role_ids": None})
        same = await alice.patch(
            f"/api/v1/games/{game['id']}", json={"player_role_ids": [player], "max_players": 6}
        )
        for refused, field in (
            (elsewhere, "channel_id"),
            (other_roles, "player_role_ids"),
            (not_allowed, "signup_method"),
            (moved, "channel_id"),
            (unrestricted, "player_role_ids"),
        ):
            assert refused.status_code == 422, refused.text
            assert refused.json()["field"] == field
            assert "RPG night" in refused.json()["message"]
        assert same.status_code == 200, same.text
        # "Inherit again" on a value the game took from its template goes back to the template's copy.
        again = await alice.patch(f"/api/v1/games/{game['id']}", json={"reminder_minutes": None})
        assert again.status_code == 200, again.text
        assert again.json()["reminder_minutes"] == [30]
        assert again.json()["settings_sources"]["reminder_minutes"] == "template"

        # Editing the template later changes no existing game.
        await alice.patch(
            f"/api/v1/guilds/{gid}/templates/{template['id']}",
            json={"max_players": 9, "player_role_ids": None},
        )
        after = (await alice.get(f"/api/v1/games/{game['id']}")).json()
        assert after["player_role_ids"] == [player] and after["locked_fields"] == game["locked_fields"]
        await alice.delete(f"/api/v1/guilds/{gid}/templates/{template['id']}")
        kept = (await alice.get(f"/api/v1/games/{game['id']}")).json()
    assert kept["template_id"] is None and kept["template_name"] == "RPG night"
    assert kept["player_role_ids"] == [player]


async def test_bad_template_inputs_are_422_naming_the_field(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid = world.guild_id()
    other = world.guild_id("Other Guild")
    lobby = world.channel_id("lobby", guild="Other Guild")
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        cases = {
            "name": {"name": "   "},
            "channel_id": {"name": "x", "channel_id": str(lobby)},
            "notify_role_ids": {"name": "x", "notify_role_ids": ["123"]},
            "default_signup_method": {
                "name": "x",
                "signup_methods": ["self_signup"],
                "default_signup_method": "host_selected",
            },
            "priority_role_ids": {"name": "x", "priority_role_ids": [str(world.role_id("Player"))]},
            "max_players": {"name": "x", "max_players": 0},
        }
        answers = {f: await alice.post(f"/api/v1/guilds/{gid}/templates", json=b) for f, b in cases.items()}
        unknown = await alice.post(
            "/api/v1/games", json=game_body(world, template_id="00000000-0000-0000-0000-000000000000")
        )
        [theirs] = [t for t in (await _templates(alice, gid))]
    async with await login_as(sandbox_app.base_url, "oscar") as oscar:
        [other_default] = await _templates(oscar, other)
        cross = await oscar.get(f"/api/v1/guilds/{other}/templates/{theirs['id']}")
        used = await oscar.post(
            "/api/v1/games",
            json={
                "guild_id": str(other),
                "channel_id": str(lobby),
                "title": "x",
                "scheduled_at": in_days(),
                "template_id": theirs["id"],
            },
        )
    for field, answer in answers.items():
        assert answer.status_code == 422, (field, answer.text)
        assert answer.json()["field"] == field, answer.text
    assert unknown.status_code == 422 and unknown.json()["field"] == "template_id"
    assert other_default["name"] == "Default"
    assert cross.status_code == 404
    assert used.status_code == 422 and used.json()["field"] == "template_id"


async def test_a_member_who_hosts_only_with_a_template_uses_the_web_form_and_its_players_are_gated(
    sandbox_app: App,
) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid, rpg, player = world.guild_id(), world.channel_id("rpg"), str(world.role_id("Player"))
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        template = await _create(
            alice, gid, name="Players", host_role_ids=[player], player_role_ids=[player], channel_id=str(rpg)
        )
    async with await login_as(sandbox_app.base_url, "dave") as dave:  # Player: hosts with that template only
        form = await dave.get("/games/new", params={"guild_id": gid}, headers={"accept": "text/html"})
        assert form.status_code == 200, form.text[:500]
        assert f'<option value="{template["id"]}" selected>Players</option>' in form.text
        assert "Set by the template “Players”" in form.text
        made = await dave.post(
            "/games/new",
            data={
                "_csrf_token": dave.cookies.get("csrftoken"),
                "guild_id": str(gid),
                "template_id": template["id"],
                "channel_id": str(rpg),
                "player_role_ids": player,
                "title": "Dave's dungeon",
                "scheduled_at": in_days(),
                "submission": "dave-1",
            },
        )
        assert made.status_code == 303, made.text[:2000]
        game_id = made.headers["location"].removeprefix("/games/")
    async with await login_as(sandbox_app.base_url, "frank") as frank:
        refused = await frank.post(f"/api/v1/games/{game_id}/join")
    async with await login_as(sandbox_app.base_url, "erin") as erin:
        joined = await erin.post(f"/api/v1/games/{game_id}/join")
    assert refused.status_code == 403 and "@Player" in refused.json()["message"]
    assert joined.status_code == 200, joined.text


async def test_archive_settings_lock_and_images_carry_over_to_games_made_from_a_template(
    sandbox_app: App,
) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid, rpg, archive = world.guild_id(), world.channel_id("rpg"), world.channel_id("archive")
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        template = await _create(
            alice,
            gid,
            name="Campaign",
            channel_id=str(rpg),
            archive_channel_id=str(archive),
            archive_delay_minutes=60,
        )
        assert template["locked"]["archive_channel_id"] == str(archive)
        assert template["locked"]["archive_channel_name"] == "archive"
        assert template["locked"]["archive_delay_minutes"] == 60
        path = f"/api/v1/guilds/{gid}/templates/{template['id']}"
        uploaded = await alice.put(
            f"{path}/thumbnail", files={"file": ("t.png", picture("PNG", (1024, 1024)), "image/png")}
        )
        assert uploaded.status_code == 200, uploaded.text
        thumbnail = uploaded.json()["defaults"]["thumbnail_url"]
        assert thumbnail.startswith("/images/") and (await alice.get(thumbnail)).status_code == 200
        as_json = await alice.put(f"{path}/banner", json={"file": "aGVsbG8="})
        assert as_json.status_code == 415 and "multipart/form-data" in as_json.json()["message"]
        not_a_picture = await alice.put(f"{path}/banner", files={"file": ("b.png", b"text", "image/png")})
        assert not_a_picture.status_code == 415
        unknown_kind = await alice.put(f"{path}/avatar", files={"file": ("a.png", picture(), "image/png")})
        assert unknown_kind.status_code == 404

        made = await _game_from(world, alice, template)
        assert made.status_code == 201, made.text
        game = made.json()
        assert (game["archive_channel_id"], game["archive_delay_minutes"]) == (str(archive), 60)
        assert game["thumbnail_url"] == thumbnail and game["banner_url"] is None
        assert {"archive_channel_id", "archive_delay_minutes"} <= set(game["locked_fields"])

        sooner = await _game_from(world, alice, template, archive_delay_minutes=5)
        elsewhere = await _game_from(world, alice, template, archive_channel_id=str(world.channel_id("rpg")))
        edited = await alice.patch(f"/api/v1/games/{game['id']}", json={"archive_delay_minutes": None})
        for refused, field in ((sooner, "archive_delay_minutes"), (elsewhere, "archive_channel_id")):
            assert refused.status_code == 422, refused.text
            assert refused.json()["field"] == field and "Campaign" in refused.json()["message"]
        assert edited.status_code == 422 and edited.json()["field"] == "archive_delay_minutes"

        # The template's picture changes later: the game keeps the one it was made with.
        assert (await alice.delete(f"{path}/thumbnail")).json()["defaults"]["thumbnail_url"] is None
        assert (await alice.get(f"/api/v1/games/{game['id']}")).json()["thumbnail_url"] == thumbnail


async def test_a_game_made_without_naming_a_template_follows_the_default_one(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid, rpg, board = world.guild_id(), world.channel_id("rpg"), world.channel_id("board-games")
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        # The default made for the server locks nothing: a game without a template goes where it asks.
        [default] = await _templates(alice, gid)
        free = await alice.post("/api/v1/games", json=game_body(world, channel_id=str(board)))
        assert free.status_code == 201, free.text
        assert free.json()["template_name"] == "Default" and free.json()["locked_fields"] == []

        # A manager locks the default's channel and archive delay: leaving the template out no longer helps.
        locked = await alice.patch(
            f"/api/v1/guilds/{gid}/templates/{default['id']}",
            json={"channel_id": str(rpg), "channel_locked": True, "archive_delay_minutes": 30},
        )
        assert locked.status_code == 200, locked.text
        moved = await alice.post("/api/v1/games", json=game_body(world, channel_id=str(board)))
        sooner = await alice.post(
            "/api/v1/games", json=game_body(world, channel_id=str(rpg), archive_delay_minutes=0)
        )
        for refused, field in ((moved, "channel_id"), (sooner, "archive_delay_minutes")):
            assert refused.status_code == 422, refused.text
            assert refused.json()["field"] == field
            assert refused.json()["message"].startswith(
                "Games made without naming a template follow this server's template “Default”"
            )
        kept = await alice.post("/api/v1/games", json=game_body(world, channel_id=str(rpg)))
        assert kept.status_code == 201, kept.text
        assert kept.json()["archive_delay_minutes"] == 30
        assert sorted(kept.json()["locked_fields"]) == ["archive_delay_minutes", "channel_id"]
