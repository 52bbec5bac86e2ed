"""Deferred announcements, rewards and archiving through the JSON API: who sees a game not announced yet
(every read path), "post now", the rewards' visibility, archiving, and the bad inputs, each as a sentence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from gamesched.app import App
from gamesched.games import GameService
from gamesched.games.calendar import calendar_token
from tests.games.conftest import Login, create_game, game_body, in_days
from tests.world import World


def soon(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0).isoformat()


async def hosted_by_bob(login: Login, world: World, **fields: Any) -> dict[str, Any]:
    """A game alice (who owns the server: a manager) schedules for bob (a host, not a manager)."""
    return await create_game(await login("alice"), world, host_id=str(world.user_id("bob")), **fields)


async def deferred(login: Login, world: World, **fields: Any) -> dict[str, Any]:
    """bob's game in two days, announced tomorrow."""
    return await hosted_by_bob(login, world, post_at=in_days(1), scheduled_at=in_days(2), **fields)


async def listed(client: httpx.AsyncClient, world: World, **params: Any) -> tuple[list[str], int]:
    response = await client.get("/api/v1/games", params={"guild_id": str(world.guild_id()), **params})
    assert response.status_code == 200, response.text
    body = response.json()
    return [game["id"] for game in body["items"]], body["total"]


async def test_a_deferred_game_is_seen_by_its_host_and_the_managers_only(
    games_app: App, login: Login, world: World
) -> None:
    shown = await create_game(await login("alice"), world, title="Announced")
    game = await deferred(login, world, title="Later")
    assert game["post_at"] is not None
    assert [item["kind"] for item in game["schedule"]] == []  # the create answer carries no schedule
    bob, alice, dave = await login("bob"), await login("alice"), await login("dave")
    assert (await bob.get(f"/api/v1/games/{game['id']}")).json()["schedule"][0]["kind"] == "post"

    for who in (bob, alice):  # the host and a manager (alice owns the server)
        assert (await who.get(f"/api/v1/games/{game['id']}")).status_code == 200
        ids, total = await listed(who, world)
        assert game["id"] in ids and total == 2

    # A plain member: not by id, not in the lists (nor their counts), not by any path that names the game.
    assert (await dave.get(f"/api/v1/games/{game['id']}")).status_code == 404
    assert (await dave.get(f"/games/{game['id']}")).status_code == 404
    assert (await dave.get(f"/api/v1/games/{game['id']}/calendar.ics")).status_code == 404
    assert (await dave.post(f"/api/v1/games/{game['id']}/join")).status_code == 404
    assert (await dave.post(f"/api/v1/games/{game['id']}/post")).status_code == 404
    assert await listed(dave, world) == ([shown["id"]], 1)
    assert await listed(dave, world, status="scheduled") == ([shown["id"]], 1)
    assert await listed(dave, world, channel_id=game["channel_id"]) == ([shown["id"]], 1)
    token = calendar_token(games_app.settings.secret_key or "", game["id"])
    async with httpx.AsyncClient(base_url=games_app.base_url) as anonymous:
        signed = await anonymous.get(f"/calendar/{game['id']}/{token}")  # a signed link shared early
        assert signed.status_code == 404
    page = await dave.get(f"/guilds/{world.guild_id()}")
    assert "Later" not in page.text and "Announced" in page.text
    hosting = await bob.get(f"/guilds/{world.guild_id()}")  # its host sees it, marked
    assert "Later" in hosting.text and "Not announced yet" in hosting.text


async def test_post_now_announces_it_for_everyone(login: Login, world: World) -> None:
    game = await deferred(login, world)
    dave, bob = await login("dave"), await login("bob")
    assert (await dave.get(f"/api/v1/games/{game['id']}")).status_code == 404
    response = await bob.post(f"/api/v1/games/{game['id']}/post")
    assert response.status_code == 200, response.text
    assert response.json()["post_at"] is None
    assert (await dave.get(f"/api/v1/games/{game['id']}")).status_code == 200
    again = await bob.post(f"/api/v1/games/{game['id']}/post")  # a second click: nothing more to do
    assert again.status_code == 200 and again.json()["version"] == response.json()["version"]
    schedule = (await bob.get(f"/api/v1/games/{game['id']}")).json()["schedule"]
    assert "post" not in [item["kind"] for item in schedule]


async def test_a_manager_posts_now_a_game_someone_else_hosts(login: Login, world: World) -> None:
    game = await deferred(login, world)
    response = await (await login("alice")).post(f"/api/v1/games/{game['id']}/post")
    assert response.status_code == 200 and response.json()["post_at"] is None


async def test_post_at_must_come_before_the_start_and_after_now(login: Login, world: World) -> None:
    alice, bob = await login("alice"), await login("bob")
    late = await alice.post(
        "/api/v1/games", json=game_body(world, scheduled_at=in_days(1), post_at=in_days(2))
    )
    assert late.status_code == 422
    assert late.json()["message"] == "The announcement must be posted before the game starts."
    assert late.json()["field"] == "post_at"
    past = await alice.post("/api/v1/games", json=game_body(world, post_at=soon(-1)))
    assert past.status_code == 422
    assert "announcement time must be in the future" in past.json()["message"]
    naive = await alice.post("/api/v1/games", json=game_body(world, post_at="2030-01-01T10:00:00"))
    assert naive.status_code in (400, 422)

    game = await deferred(login, world)
    moved = await bob.patch(f"/api/v1/games/{game['id']}", json={"scheduled_at": soon(12)})
    assert moved.status_code == 422  # the start moved before the announcement
    assert moved.json()["message"] == "The announcement must be posted before the game starts."
    later = await bob.patch(f"/api/v1/games/{game['id']}", json={"post_at": soon(30)})
    assert later.status_code == 200 and later.json()["post_at"] is not None

    announced = await hosted_by_bob(login, world)
    refused = await bob.patch(f"/api/v1/games/{announced['id']}", json={"post_at": soon(5)})
    assert refused.status_code == 422
    assert refused.json()["message"] == "This game is already announced; its announcement time cannot change."


async def test_rewards_are_shown_to_players_only_once_the_game_is_over(login: Login, world: World) -> None:
    bob, dave = await login("bob"), await login("dave")
    game = await hosted_by_bob(login, world, rewards="A dragon egg", remind_rewards=True)
    assert game["rewards"] == "A dragon egg" and game["remind_rewards"] is True
    assert (await dave.get(f"/api/v1/games/{game['id']}")).json()["rewards"] == ""
    saved = await bob.put(f"/api/v1/games/{game['id']}/rewards", json={"rewards": "Two dragon eggs"})
    assert saved.status_code == 200 and saved.json()["rewards"] == "Two dragon eggs"
    assert (await dave.put(f"/api/v1/games/{game['id']}/rewards", json={"rewards": "x"})).status_code == 403


async def test_rewards_and_archive_inputs_are_checked(login: Login, world: World) -> None:
    alice, bob = await login("alice"), await login("bob")
    too_long = await alice.post("/api/v1/games", json=game_body(world, rewards="x" * 2001))
    assert too_long.status_code in (400, 422)
    stranger = await alice.post("/api/v1/games", json=game_body(world, archive_channel_id="123456789"))
    assert stranger.status_code == 422
    assert stranger.json()["message"] == "The archive channel is not a channel of this server."
    negative = await alice.post("/api/v1/games", json=game_body(world, archive_delay_minutes=-5))
    assert negative.status_code in (400, 422)
    game = await hosted_by_bob(login, world, archive_delay_minutes=60)
    early = await bob.put(f"/api/v1/games/{game['id']}/rewards", json={"rewards": "x", "archive_now": True})
    assert early.status_code == 422
    assert early.json()["message"] == "Only a game that is over (and not archived yet) can be archived."
    unknown = await bob.put(f"/api/v1/games/{game['id']}/rewards", json={"reward": "x"})
    assert unknown.status_code in (400, 422)


async def test_the_post_row_announces_once_and_skips_reminders_before_it(
    games_app: App, login: Login, world: World
) -> None:
    game = await deferred(login, world, reminder_minutes=[60 * 36, 60])  # 36 h before: before post_at
    bob = await login("bob")
    schedule = (await bob.get(f"/api/v1/games/{game['id']}")).json()["schedule"]
    assert [(item["kind"], item["reminder_minutes"]) for item in schedule] == [
        ("post", None),
        ("reminder", 60),
        ("start", None),
        ("complete", None),
    ]
    lifecycle = games_app.service(GameService).lifecycle
    guild_id = int(game["guild_id"])
    # A restart that runs the row again, or a second process: the first run announces, the others find
    # nothing to do.
    assert await lifecycle.post(game["id"], guild_id=guild_id) is True
    assert await lifecycle.post(game["id"], guild_id=guild_id) is False
    assert (await bob.get(f"/api/v1/games/{game['id']}")).json()["post_at"] is None
