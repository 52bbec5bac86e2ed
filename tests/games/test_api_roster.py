"""The roster over HTTP: joining into seats and the waitlist, leaving, the host's tools, signup methods,
placeholders and @mention errors."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from gamesched.app import App
from tests.games.conftest import Login, create_game, game_body, roster
from tests.world import World


async def join(client: httpx.AsyncClient, game: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/api/v1/games/{game['id']}/join")


async def test_joining_fills_seats_then_the_waitlist_and_rejoining_reports_the_same_place(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    game = await create_game(alice, world, max_players=2)
    bob, dave, erin = await login("bob"), await login("dave"), await login("erin")

    first = (await join(bob, game)).json()
    assert (first["viewer_status"], first["viewer_position"], first["confirmed_count"]) == ("confirmed", 1, 1)
    await join(dave, game)
    full = await join(erin, game)
    assert full.status_code == 200, "joining a full game is never an error"
    assert (full.json()["viewer_status"], full.json()["viewer_position"]) == ("waitlisted", 1)
    assert roster(full.json()) == (["Bobby", "Dave Dunn"], ["Erin the Bold"])

    again = await join(erin, game)
    assert again.status_code == 200
    assert (again.json()["viewer_status"], again.json()["viewer_position"]) == ("waitlisted", 1)
    assert again.json()["waitlist_count"] == 1


async def test_leaving_promotes_the_first_waitlisted(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world, max_players=1)
    bob, dave, erin = await login("bob"), await login("dave"), await login("erin")
    for client in (bob, dave, erin):
        await join(client, game)

    left = await bob.post(f"/api/v1/games/{game['id']}/leave")
    assert left.status_code == 200 and left.json()["viewer_status"] is None
    assert roster(left.json()) == (["Dave Dunn"], ["Erin the Bold"])

    not_joined = await bob.post(f"/api/v1/games/{game['id']}/leave")
    assert not_joined.status_code == 409
    assert not_joined.json()["message"] == "You are not signed up for this game."


async def test_host_adds_members_and_placeholders_removes_and_reorders(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world, max_players=2)
    path = f"/api/v1/games/{game['id']}"
    dave = await login("dave")
    await join(dave, game)

    added = await alice.post(f"{path}/participants", json={"mention": "@carol"})
    assert added.status_code == 201, added.text
    assert roster(added.json()) == (["Carol Chen", "Dave Dunn"], []), "host picks come before self-joins"
    guest = (await alice.post(f"{path}/participants", json={"placeholder": "Guest"})).json()
    assert roster(guest) == (["Carol Chen", "Guest"], ["Dave Dunn"])
    assert [p["pre_populated"] for p in guest["participants"]] == [True, True, False]

    ids = {p["display_name"]: p["id"] for p in guest["participants"]}
    reordered = await alice.put(
        f"{path}/participants/order", json={"participant_ids": [ids["Dave Dunn"], ids["Carol Chen"]]}
    )
    assert reordered.status_code == 200, reordered.text
    assert roster(reordered.json()) == (["Dave Dunn", "Carol Chen"], ["Guest"]), (
        "a reordered self-join becomes a host pick"
    )

    removed = await alice.delete(f"{path}/participants/{ids['Carol Chen']}")
    assert removed.status_code == 200
    assert roster(removed.json()) == (["Dave Dunn", "Guest"], [])

    duplicate = await alice.post(f"{path}/participants", json={"mention": "@dave"})
    assert duplicate.status_code == 409
    unknown = await alice.delete(f"{path}/participants/00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404
    bad_order = await alice.put(f"{path}/participants/order", json={"participant_ids": ["nope"]})
    assert bad_order.status_code == 422 and bad_order.json()["field"] == "participant_ids"
    both = await alice.post(f"{path}/participants", json={"mention": "@erin", "placeholder": "x"})
    assert both.status_code == 422


async def test_placeholders_hold_seats_until_replaced_by_a_member(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world, max_players=2, initial_participants=["Reserved", "@bob"])
    assert roster(game) == (["Reserved", "Bobby"], [])
    dave = await login("dave")
    waiting = (await join(dave, game)).json()
    assert waiting["viewer_status"] == "waitlisted"

    placeholder = next(p for p in game["participants"] if p["discord_id"] is None)
    assert placeholder["is_placeholder"] is True
    replaced = await alice.patch(
        f"/api/v1/games/{game['id']}/participants/{placeholder['id']}", json={"mention": "@erin"}
    )
    assert replaced.status_code == 200, replaced.text
    assert roster(replaced.json()) == (["Erin the Bold", "Bobby"], ["Dave Dunn"])
    member = next(p for p in replaced.json()["participants"] if p["display_name"] == "Bobby")
    not_placeholder = await alice.patch(
        f"/api/v1/games/{game['id']}/participants/{member['id']}", json={"mention": "@frank"}
    )
    assert not_placeholder.status_code == 422


async def test_self_signup_default(world: World, login: Login) -> None:
    game = await create_game(await login("alice"), world)
    assert game["signup_method"] == "self_signup"
    assert (await join(await login("frank"), game)).json()["viewer_status"] == "confirmed"


async def test_host_selected_refuses_self_joins_with_a_sentence(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world, signup_method="host_selected")
    response = await join(await login("bob"), game)
    assert response.status_code == 403
    assert response.json()["message"] == "This game does not take sign-ups: the host picks the players."
    added = await alice.post(f"/api/v1/games/{game['id']}/participants", json={"mention": "@bob"})
    assert roster(added.json()) == (["Bobby"], [])


async def test_host_selected_with_waitlist_queues_joins_until_the_host_picks(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    game = await create_game(alice, world, signup_method="host_selected_with_waitlist", max_players=2)
    bob, dave = await login("bob"), await login("dave")
    assert (await join(bob, game)).json()["viewer_status"] == "waitlisted"
    assert (await join(dave, game)).json()["viewer_status"] == "waitlisted"

    picked = await alice.post(f"/api/v1/games/{game['id']}/participants", json={"mention": "@dave"})
    assert picked.status_code == 201, picked.text
    assert roster(picked.json()) == (["Dave Dunn"], ["Bobby"])


async def test_role_based_gives_priority_roles_the_seats_first(world: World, login: Login) -> None:
    alice = await login("alice")
    player = str(world.role_id("Player"))
    game = await create_game(
        alice, world, signup_method="role_based", priority_role_ids=[player], max_players=1
    )
    frank, dave = await login("frank"), await login("dave")  # frank has no roles; dave is a Player
    assert (await join(frank, game)).json()["viewer_status"] == "confirmed"
    after = (await join(dave, game)).json()
    assert after["viewer_status"] == "confirmed"
    assert roster(after) == (["Dave Dunn"], ["Frank Foster"])


async def test_priority_roles_require_the_role_based_method(world: World, login: Login) -> None:
    alice = await login("alice")
    response = await alice.post(
        "/api/v1/games", json=game_body(world, priority_role_ids=[str(world.role_id("Player"))])
    )
    assert response.status_code == 422 and response.json()["field"] == "priority_role_ids"


async def test_player_roles_restrict_who_may_join(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world, player_role_ids=[str(world.role_id("Player"))])
    assert game["settings_sources"]["player_role_ids"] == "game"
    denied = await join(await login("frank"), game)
    assert denied.status_code == 403 and denied.json()["message"] == "Only @Player members can join."
    assert (await join(await login("dave"), game)).status_code == 200


@pytest.fixture
async def two_sams(games_app: App, world: World) -> None:
    """Two members both called "Sam" (global name), so @Sam is ambiguous."""
    async with httpx.AsyncClient(base_url=games_app.base_url) as control:
        for username in ("sam_one", "sam_two"):
            user = await control.post("/sandbox/api/users", json={"username": username, "global_name": "Sam"})
            member = await control.put(
                f"/sandbox/api/guilds/{world.guild_id()}/members/{user.json()['id']}", json={}
            )
            assert member.status_code == 200, member.text
    for _ in range(250):
        found = await games_app.guilds.search_members(world.guild_id(), "Sam")
        if len([m for m in found if m.global_name == "Sam"]) == 2:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the bot did not see both Sams join")


async def test_unknown_and_ambiguous_mentions_give_the_pinned_422_and_keep_the_form(
    world: World, login: Login, two_sams: None
) -> None:
    alice = await login("alice")
    body = game_body(world, title="Keep me", initial_participants=["@bob", "@nobody", "@Sam", "Guest", "@bo"])
    response = await alice.post("/api/v1/games", json=body)
    assert response.status_code == 422, response.text
    error = response.json()
    pinned = {"error", "message", "invalid_mentions", "valid_participants", "form_data"}
    assert set(error) == pinned | {"field", "errors"}  # with every problem of the submission (issue 13)
    assert error["errors"] == [{"field": "initial_participants", "message": error["message"]}]
    assert error["error"] == "invalid_mentions"
    by_input = {item["input"]: item for item in error["invalid_mentions"]}
    assert set(by_input) == {"@nobody", "@Sam", "@bo"}
    sams = by_input["@Sam"]["suggestions"]
    assert sorted(s["username"] for s in sams) == ["sam_one", "sam_two"]
    assert all(
        set(s) == {"discord_id", "username", "display_name"} and s["discord_id"].isdigit() for s in sams
    )
    assert any(s["username"] == "bob" for s in by_input["@bo"]["suggestions"])
    assert all(len(item["suggestions"]) <= 5 and item["reason"] for item in error["invalid_mentions"])
    assert error["valid_participants"] == ["@bob", "Guest"]
    assert error["form_data"]["title"] == "Keep me"
    assert error["form_data"]["initial_participants"] == body["initial_participants"]
    listed = await alice.get("/api/v1/games", params={"guild_id": str(world.guild_id())})
    assert listed.json()["total"] == 0, "nothing is created when a mention fails"


async def test_host_adding_an_unknown_mention_gets_the_same_422(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world)
    response = await alice.post(f"/api/v1/games/{game['id']}/participants", json={"mention": "@nobody"})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_mentions"
    assert response.json()["form_data"] == {"mention": "@nobody", "placeholder": None}
