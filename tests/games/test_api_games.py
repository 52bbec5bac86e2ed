"""Games over HTTP (logged in through the sandbox's OAuth): create, read, list, edit, cancel, permissions."""

from __future__ import annotations

import httpx

from gamesched.app import App
from tests.games.conftest import Login, create_game, game_body, in_days, roster
from tests.login import login_as
from tests.world import World


async def test_create_inherits_channel_and_guild_settings_and_reports_sources(
    games_app: App, world: World, login: Login
) -> None:
    gid, rpg = world.guild_id(), world.channel_id("rpg")
    alice = await login("alice")
    assert (
        await alice.patch(f"/api/v1/guilds/{gid}/settings", json={"reminder_minutes": [30]})
    ).status_code == 200
    patched = await alice.patch(f"/api/v1/guilds/{gid}/channels/{rpg}/settings", json={"max_players": 4})
    assert patched.status_code == 200, patched.text

    game = await create_game(
        alice, world, channel_id=str(rpg), signup_instructions="Bring dice", description="One-shot"
    )

    assert game["max_players"] == 4
    assert game["reminder_minutes"] == [30]
    assert game["signup_instructions"] == "Bring dice"
    assert game["settings_sources"] == {
        "max_players": "channel",
        "reminder_minutes": "guild",
        "signup_instructions": "game",
        "player_role_ids": "default",
    }
    assert game["channel_name"] == "rpg"
    assert game["host"]["display_name"] == "Alice Anders"
    assert game["status"] == "scheduled" and game["version"] == 1 and game["can_manage"] is True
    assert (await alice.get(f"/api/v1/games/{game['id']}")).json()["settings_sources"] == game[
        "settings_sources"
    ]


async def test_create_rejects_past_time_and_naive_time_with_the_field(world: World, login: Login) -> None:
    alice = await login("alice")
    past = await alice.post("/api/v1/games", json=game_body(world, scheduled_at="2020-01-01T19:00:00+00:00"))
    naive = await alice.post("/api/v1/games", json=game_body(world, scheduled_at="2031-01-01T19:00:00"))
    too_many = await alice.post("/api/v1/games", json=game_body(world, max_players=101))
    assert past.status_code == 422 and past.json()["field"] == "scheduled_at"
    assert naive.status_code == 422 and naive.json()["field"] == "scheduled_at"
    assert naive.json()["message"] == (
        "The start time must be a date and time with a UTC offset, like 2030-01-05T19:00:00+00:00."
    )
    assert too_many.status_code == 422 and too_many.json()["field"] == "max_players"
    assert too_many.json()["message"] == "Max players must be at most 100."


async def test_a_game_takes_only_roles_of_its_own_server(world: World, login: Login) -> None:
    """Another server's role id is refused, not stored (the game would wait for a role nobody here has)."""
    alice = await login("alice")
    theirs = [str(world.role_id("Organizer", "Other Guild"))]
    game = await create_game(alice, world, signup_method="role_based")
    for field in ("player_role_ids", "priority_role_ids", "notify_role_ids"):
        body = game_body(world, signup_method="role_based", **{field: theirs})
        created = await alice.post("/api/v1/games", json=body)
        edited = await alice.patch(f"/api/v1/games/{game['id']}", json={field: theirs})
        assert created.status_code == 422 and created.json()["field"] == field, created.text
        assert edited.status_code == 422 and edited.json()["field"] == field, edited.text
    assert (await alice.get(f"/api/v1/games/{game['id']}")).json()["version"] == 1
    ours = [str(world.role_id("Player"))]
    assert (
        await alice.patch(f"/api/v1/games/{game['id']}", json={"notify_role_ids": ours})
    ).status_code == 200


async def test_member_without_host_role_cannot_create_but_can_once_host_roles_allow(
    world: World, login: Login
) -> None:
    gid = world.guild_id()
    alice, bob = await login("alice"), await login("bob")
    denied = await bob.post("/api/v1/games", json=game_body(world))
    assert denied.status_code == 403, denied.text

    host_role = str(world.role_id("Game Host"))
    await alice.patch(f"/api/v1/guilds/{gid}/settings", json={"host_role_ids": [host_role]})
    allowed = await bob.post("/api/v1/games", json=game_body(world))
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["host"]["display_name"] == "Bobby"


async def test_manager_schedules_a_game_for_another_host(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world, host_id=str(world.user_id("dave")))
    assert game["host"]["discord_id"] == str(world.user_id("dave"))
    dave = await login("dave")
    assert (await dave.get(f"/api/v1/games/{game['id']}")).json()["can_manage"] is True


async def test_edit_changes_fields_and_bumps_version(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world, max_players=5)
    new_time = in_days(3)
    response = await alice.patch(
        f"/api/v1/games/{game['id']}",
        json={
            "title": "Catan, seafarers",
            "scheduled_at": new_time,
            "location": "Dave's",
            "expected_version": 1,
        },
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["title"] == "Catan, seafarers" and edited["location"] == "Dave's"
    assert edited["version"] == 2

    inherit = await alice.patch(f"/api/v1/games/{game['id']}", json={"max_players": None})
    assert inherit.json()["max_players"] == 10
    assert inherit.json()["settings_sources"]["max_players"] == "default"


async def test_lowering_max_players_moves_the_last_confirmed_to_the_waitlist_and_raising_promotes(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    game = await create_game(alice, world, max_players=3, initial_participants=["@bob", "@carol", "@dave"])
    lowered = (await alice.patch(f"/api/v1/games/{game['id']}", json={"max_players": 2})).json()
    assert roster(lowered) == (["Bobby", "Carol Chen"], ["Dave Dunn"])
    raised = (await alice.patch(f"/api/v1/games/{game['id']}", json={"max_players": 3})).json()
    assert roster(raised) == (["Bobby", "Carol Chen", "Dave Dunn"], [])


async def test_stale_expected_version_is_a_conflict(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world)
    first = await alice.patch(f"/api/v1/games/{game['id']}", json={"title": "A", "expected_version": 1})
    second = await alice.patch(f"/api/v1/games/{game['id']}", json={"title": "B", "expected_version": 1})
    assert first.status_code == 200
    assert second.status_code == 409, second.text
    assert second.json()["error"] == "stale_version" and second.json()["current_version"] == 2
    assert (await alice.get(f"/api/v1/games/{game['id']}")).json()["title"] == "A"


async def test_non_host_gets_403_on_edit_cancel_and_roster_tools(world: World, login: Login) -> None:
    alice, dave = await login("alice"), await login("dave")
    game = await create_game(alice, world, initial_participants=["Reserved"])
    path = f"/api/v1/games/{game['id']}"
    pid = game["participants"][0]["id"]
    attempts = [
        await dave.patch(path, json={"title": "Mine now"}),
        await dave.delete(path),
        await dave.post(f"{path}/participants", json={"placeholder": "x"}),
        await dave.delete(f"{path}/participants/{pid}"),
        await dave.put(f"{path}/participants/order", json={"participant_ids": [pid]}),
        await dave.patch(f"{path}/participants/{pid}", json={"mention": "@dave"}),
    ]
    assert [r.status_code for r in attempts] == [403] * 6
    assert all(r.json()["error"] == "forbidden" and r.json()["message"] for r in attempts)


async def test_a_manager_may_manage_someone_elses_game(world: World, login: Login) -> None:
    alice, carol = await login("alice"), await login("carol")  # carol: Moderator (Manage Server)
    game = await create_game(alice, world)
    edited = await carol.patch(f"/api/v1/games/{game['id']}", json={"title": "Moderated"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["can_manage"] is True


async def test_member_of_another_guild_gets_404_on_every_game_route(world: World, login: Login) -> None:
    alice, oscar = await login("alice"), await login("oscar")
    game = await create_game(alice, world, initial_participants=["Reserved"])
    path = f"/api/v1/games/{game['id']}"
    pid = game["participants"][0]["id"]
    attempts = {
        "get": await oscar.get(path),
        "edit": await oscar.patch(path, json={"title": "x"}),
        "cancel": await oscar.delete(path),
        "join": await oscar.post(f"{path}/join"),
        "leave": await oscar.post(f"{path}/leave"),
        "add": await oscar.post(f"{path}/participants", json={"placeholder": "x"}),
        "remove": await oscar.delete(f"{path}/participants/{pid}"),
        "order": await oscar.put(f"{path}/participants/order", json={"participant_ids": [pid]}),
        "replace": await oscar.patch(f"{path}/participants/{pid}", json={"mention": "@oscar"}),
        "calendar": await oscar.get(f"{path}/calendar.ics"),
        "list": await oscar.get("/api/v1/games", params={"guild_id": str(world.guild_id())}),
        "create": await oscar.post("/api/v1/games", json=game_body(world)),
    }
    assert {name: r.status_code for name, r in attempts.items()} == dict.fromkeys(attempts, 404)
    assert all(game["title"] not in r.text for r in attempts.values())
    assert (await oscar.get("/api/v1/games")).json()["items"] == []


async def test_unknown_game_is_404(login: Login) -> None:
    alice = await login("alice")
    assert (await alice.get("/api/v1/games/00000000-0000-0000-0000-000000000000")).status_code == 404
    assert (await alice.get("/api/v1/games/not-a-uuid")).status_code == 404


async def test_unsafe_request_without_csrf_header_is_403(games_app: App, world: World, login: Login) -> None:
    alice = await login("alice")
    async with httpx.AsyncClient(base_url=games_app.base_url, cookies=alice.cookies) as bare:
        response = await bare.post("/api/v1/games", json=game_body(world))
    assert response.status_code == 403
    assert (await alice.get("/api/v1/games", params={"guild_id": str(world.guild_id())})).json()["total"] == 0


async def test_cancel_keeps_the_game_and_roster_with_status_cancelled(world: World, login: Login) -> None:
    alice, bob = await login("alice"), await login("bob")
    game = await create_game(alice, world, initial_participants=["@dave"])
    await bob.post(f"/api/v1/games/{game['id']}/join")

    cancelled = await alice.delete(f"/api/v1/games/{game['id']}")
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled" and body["cancelled_at"] is not None
    assert roster(body) == (["Dave Dunn", "Bobby"], [])

    again = await bob.get(f"/api/v1/games/{game['id']}")
    assert again.json()["status"] == "cancelled"
    join = await (await login("erin")).post(f"/api/v1/games/{game['id']}/join")
    assert join.status_code == 409 and "cancelled" in join.json()["message"]
    edit = await alice.patch(f"/api/v1/games/{game['id']}", json={"title": "revived"})
    assert edit.status_code == 409


async def test_list_filters_by_guild_channel_status_and_role(world: World, login: Login) -> None:
    alice, bob = await login("alice"), await login("bob")
    gid = str(world.guild_id())
    board = await create_game(alice, world, title="Board")
    rpg = await create_game(alice, world, title="RPG", channel_id=str(world.channel_id("rpg")))
    gone = await create_game(alice, world, title="Gone")
    await alice.delete(f"/api/v1/games/{gone['id']}")
    await bob.post(f"/api/v1/games/{rpg['id']}/join")

    def titles(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return sorted(item["title"] for item in response.json()["items"])

    assert titles(await bob.get("/api/v1/games", params={"guild_id": gid})) == ["Board", "Gone", "RPG"]
    assert titles(
        await bob.get("/api/v1/games", params={"guild_id": gid, "channel_id": str(world.channel_id("rpg"))})
    ) == ["RPG"]
    assert titles(await bob.get("/api/v1/games", params={"guild_id": gid, "status": "cancelled"})) == ["Gone"]
    assert titles(await bob.get("/api/v1/games", params={"role": "participant"})) == ["RPG"]
    assert titles(await bob.get("/api/v1/games")) == ["RPG"]
    assert titles(await alice.get("/api/v1/games", params={"role": "host", "status": "scheduled"})) == [
        "Board",
        "RPG",
    ]
    page = (await alice.get("/api/v1/games", params={"guild_id": gid, "limit": 1, "offset": 1})).json()
    assert page["total"] == 3 and len(page["items"]) == 1
    assert board["id"] in {
        i["id"] for i in (await alice.get("/api/v1/games", params={"guild_id": gid})).json()["items"]
    }


async def test_calendar_file_is_a_valid_utc_vevent(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(
        alice,
        world,
        title="Catan; with friends, and more",
        scheduled_at="2031-03-01T19:30:00+02:00",
        duration_minutes=90,
        description="Line one\nLine two " + "x" * 120,
        location="Dave's place",
        reminder_minutes=[60, 15],
    )
    response = await alice.get(f"/api/v1/games/{game['id']}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "attachment" in response.headers["content-disposition"]
    raw = response.content.decode()
    assert raw.endswith("\r\n") and "\n" not in raw.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    unfolded = raw.replace("\r\n ", "")
    lines = unfolded.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and "END:VCALENDAR" in lines
    assert f"UID:game-{game['id']}@gamesched" in lines
    assert "DTSTART:20310301T173000Z" in lines and "DTEND:20310301T190000Z" in lines
    assert "SUMMARY:Catan\\; with friends\\, and more" in lines
    assert any(line.startswith("DESCRIPTION:") and "Line one\\nLine two" in line for line in lines)
    assert "LOCATION:Dave's place" in lines
    assert any(line.startswith("DTSTAMP:") and line.endswith("Z") for line in lines)
    assert any(line.startswith("URL:http") and line.endswith(f"/games/{game['id']}") for line in lines)
    # One alarm per reminder, as RFC 5545 durations (icalendar writes 60 minutes as an hour).
    assert lines.count("BEGIN:VALARM") == 2
    assert "TRIGGER:-PT1H" in lines and "TRIGGER:-PT15M" in lines


async def test_moving_a_game_to_another_channel_keeps_its_seats_and_re_resolves_the_rest(
    world: World, login: Login
) -> None:
    gid, rpg = world.guild_id(), world.channel_id("rpg")
    alice = await login("alice")
    await alice.patch(
        f"/api/v1/guilds/{gid}/channels/{rpg}/settings",
        json={"max_players": 4, "signup_instructions": "Be kind"},
    )
    game = await create_game(alice, world, reminder_minutes=[5])
    moved = await alice.patch(f"/api/v1/games/{game['id']}", json={"channel_id": str(rpg)})
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["channel_name"] == "rpg"
    # The seats the host saw stay (now set on the game); the rest follows the new channel.
    assert (body["max_players"], body["settings_sources"]["max_players"]) == (10, "game")
    assert (body["signup_instructions"], body["settings_sources"]["signup_instructions"]) == (
        "Be kind",
        "channel",
    )
    assert (body["reminder_minutes"], body["settings_sources"]["reminder_minutes"]) == ([5], "game")
    unknown = await alice.patch(f"/api/v1/games/{game['id']}", json={"channel_id": "1"})
    assert unknown.status_code == 404


async def test_location_channel_names_and_links_become_channel_mentions(games_app: App, world: World) -> None:
    rpg = world.channel_id("rpg")
    async with await login_as(games_app.base_url, "alice") as alice:
        game = await create_game(
            alice, world, location=f"#rpg voice, then https://discord.com/channels/{world.guild_id()}/{rpg}"
        )
        edited = await alice.patch(f"/api/v1/games/{game['id']}", json={"location": "#board-games"})
    assert game["location"] == f"<#{rpg}> voice, then <#{rpg}>"
    assert edited.json()["location"] == f"<#{world.channel_id('board-games')}>"


async def test_a_game_keeps_its_hosts_zone_else_the_one_it_was_typed_in(
    games_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    typed_in = await create_game(alice, world, time_zone="America/New_York")
    assert typed_in["time_zone"] == "America/New_York"  # no zone of her own: the one the time was typed in
    plain = await create_game(alice, world)
    assert plain["time_zone"] is None  # worded in UTC
    await games_app.guilds.preferences.set_time_zone(world.user_id("alice"), "Asia/Kolkata")
    chosen = await create_game(alice, world, time_zone="America/New_York")
    assert chosen["time_zone"] == "Asia/Kolkata"  # the host's own choice wins
    unknown = await alice.post("/api/v1/games", json=game_body(world, time_zone="Mars/Olympus"))
    assert unknown.status_code == 422 and unknown.json()["field"] == "time_zone"
    assert unknown.json()["message"] == (
        "I don't know the time zone 'Mars/Olympus': use an IANA name such as Europe/Berlin."
    )
