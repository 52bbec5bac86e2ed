"""A guild's game lists over HTTP: pages in start order across statuses, and totals from the kept counts."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select, text

from gamesched.app import App
from gamesched.games.models import Game
from tests.games.conftest import Login, create_game, in_days
from tests.world import World


async def _listed(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/games", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _set_status(app: App, guild_id: int, game_ids: list[str], status: str) -> None:
    async with app.db.uow(guild_id=guild_id) as uow:
        await uow.session.execute(
            text("UPDATE games SET status = :status WHERE id = ANY(CAST(:ids AS uuid[]))"),
            {"status": status, "ids": game_ids},
        )


async def test_pages_over_several_statuses_come_in_start_order_without_gaps_or_repeats(
    games_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    gid = world.guild_id()
    games = [
        await create_game(alice, world, title=f"Game {day}", scheduled_at=in_days(day))
        for day in (5, 1, 4, 2, 3)
    ]
    by_start = [g["id"] for g in sorted(games, key=lambda g: g["scheduled_at"])]
    await _set_status(games_app, gid, [games[1]["id"], games[2]["id"]], "in_progress")
    await _set_status(games_app, gid, [games[4]["id"]], "cancelled")

    upcoming = [by_start[i] for i in range(5) if by_start[i] != games[4]["id"]]
    pages = [
        await _listed(alice, guild_id=gid, status=["scheduled", "in_progress"], limit=3, offset=offset)
        for offset in (0, 3)
    ]
    assert [item["id"] for page in pages for item in page["items"]] == upcoming
    assert [page["total"] for page in pages] == [4, 4]
    assert [len(page["items"]) for page in pages] == [3, 1]

    repeated = await _listed(alice, guild_id=gid, status=["in_progress", "scheduled", "in_progress"])
    assert [item["id"] for item in repeated["items"]] == upcoming
    assert repeated["total"] == 4

    everything = await _listed(alice, guild_id=gid, limit=2, offset=1)
    assert [item["id"] for item in everything["items"]] == by_start[1:3]
    assert everything["total"] == 5


async def test_totals_stay_exact_through_creating_cancelling_moving_and_status_changes(
    games_app: App, world: World, login: Login
) -> None:
    alice, bob = await login("alice"), await login("bob")
    gid = world.guild_id()
    board, rpg = str(world.channel_id("board-games")), str(world.channel_id("rpg"))
    first = await create_game(alice, world, title="One")
    second = await create_game(alice, world, title="Two")
    third = await create_game(alice, world, title="Three", channel_id=rpg)
    await alice.delete(f"/api/v1/games/{first['id']}")
    moved = await alice.patch(f"/api/v1/games/{second['id']}", json={"channel_id": rpg})
    assert moved.status_code == 200, moved.text
    await _set_status(games_app, gid, [third["id"]], "completed")
    await bob.post(f"/api/v1/games/{second['id']}/join")

    filters: list[dict[str, Any]] = [
        {},
        {"channel_id": board},
        {"channel_id": rpg},
        {"status": "scheduled"},
        {"status": ["completed", "cancelled"]},
        {"channel_id": rpg, "status": "scheduled"},
        {"status": "archived"},
        {"role": "host"},
        {"role": "participant"},
    ]
    for client in (alice, bob):
        for params in filters:
            listed = await _listed(client, guild_id=gid, limit=100, **params)
            assert listed["total"] == len(listed["items"]), params

    async with games_app.db.uow(guild_id=gid) as uow:
        actual = await uow.session.scalar(select(func.count()).select_from(Game))
        counted = await uow.session.scalar(text("SELECT sum(games) FROM game_counts"))
    assert actual == counted == 3
    assert (await _listed(bob, guild_id=gid, channel_id=rpg))["total"] == 2
    assert (await _listed(alice, guild_id=gid, role="host"))["total"] == 3
    assert (await _listed(bob, guild_id=gid, role="participant"))["total"] == 1


async def _walk(client: httpx.AsyncClient, **params: Any) -> tuple[list[str], list[int]]:
    """Every page through next_cursor: the ids in order and each page's total."""
    ids: list[str] = []
    totals: list[int] = []
    cursor: str | None = None
    while True:
        page = await _listed(client, **params, **({"after": cursor} if cursor else {}))
        ids += [item["id"] for item in page["items"]]
        totals.append(page["total"])
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, totals


async def test_next_cursor_walks_every_game_once_in_the_same_order_as_offsets(
    games_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    gid = world.guild_id()
    games = [
        await create_game(alice, world, title=f"Game {day}", scheduled_at=in_days(day)) for day in (3, 1, 2)
    ]
    # Two games at the same moment: the id breaks the tie, on both sides of a page boundary.
    same = in_days(4)
    games += [await create_game(alice, world, title=f"Twin {n}", scheduled_at=same) for n in range(2)]
    await _set_status(games_app, gid, [games[0]["id"]], "in_progress")
    await _set_status(games_app, gid, [games[1]["id"]], "cancelled")

    for statuses in ([], ["scheduled", "in_progress"], ["cancelled"]):
        by_offset = (await _listed(alice, guild_id=gid, status=statuses, limit=100))["items"]
        ids, totals = await _walk(alice, guild_id=gid, status=statuses, limit=2)
        assert ids == [item["id"] for item in by_offset], statuses
        assert set(totals) == {len(by_offset)}, statuses
    mine, _ = await _walk(alice, role="host", limit=3)
    assert mine == [item["id"] for item in (await _listed(alice, role="host", limit=100))["items"]]
    assert len(mine) == 5

    full = await _listed(alice, guild_id=gid, limit=5)
    assert full["next_cursor"] is not None  # a full page may be the last one: the next is then empty
    assert (await _listed(alice, guild_id=gid, after=full["next_cursor"]))["items"] == []

    for bad in ({"after": "nonsense"}, {"after": full["next_cursor"], "offset": 1}):
        response = await alice.get("/api/v1/games", params={"guild_id": gid, **bad})
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "after"


async def test_a_page_past_the_end_is_empty_and_still_counts_the_games(
    games_app: App, world: World, login: Login
) -> None:
    alice, bob = await login("alice"), await login("bob")
    gid = world.guild_id()
    await create_game(alice, world, title="Only one")
    for who in (alice, bob):  # a manager, and a plain member (whose count leaves out unannounced games)
        for statuses in (
            ["scheduled"],
            ["cancelled", "scheduled", "scheduled"],
            ["cancelled", "completed", "completed"],
        ):
            past = await _listed(
                who,
                guild_id=gid,
                channel_id=world.channel_id("board-games"),
                status=statuses,
                limit=62,
                offset=382,
            )
            assert (past["items"], past["total"]) == ([], 1 if "scheduled" in statuses else 0)
