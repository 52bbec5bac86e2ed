"""The hot reads run on asyncpg directly (``DriverStatement``): they must return what SQLAlchemy returns."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy import text

from gamesched.app import App
from gamesched.core.driver import DriverStatement, plain_rows
from gamesched.games.queries import _READ_ONE_GAME, _READ_SHOWN_GAME, _guild_page, _GuildPage
from gamesched.games.schedule import REMINDER_LEAD, prefix, scheduled_items
from tests.games.conftest import Login, create_game
from tests.world import World


async def _a_game_with_every_kind_of_value(login: Login, world: World) -> tuple[uuid.UUID, int]:
    """Arrays of ints and of text, JSONB, nulls and not, a roster with a placeholder and a waitlist."""
    alice = await login("alice")
    game = await create_game(
        alice,
        world,
        max_players=1,
        reminder_minutes=[60, 15],
        initial_participants=["@bob", "Reserved seat"],
    )
    await (await login("dave")).post(f"/api/v1/games/{game['id']}/join")
    return uuid.UUID(game["id"]), world.guild_id()


async def test_one_game_read_on_the_driver_equals_sqlalchemys_rows(
    games_app: App, login: Login, world: World
) -> None:
    game_id, guild_id = await _a_game_with_every_kind_of_value(login, world)
    async with games_app.db.read(guild_id=guild_id) as conn:
        assert _READ_ONE_GAME._compile(conn.dialect) is not None, "this read is meant to run on the driver"
        on_driver = await _READ_ONE_GAME.rows(conn, {"game_id": game_id})
        through_sqlalchemy = plain_rows(await conn.execute(_READ_ONE_GAME.statement, {"game_id": game_id}))
    assert len(on_driver) == 1
    assert on_driver == through_sqlalchemy
    row = on_driver[0]
    assert row._fields == through_sqlalchemy[0]._fields
    assert row.reminder_minutes == [60, 15] and isinstance(row.settings_sources, dict)
    assert str(row.id) == str(game_id)


async def test_a_shown_games_schedule_comes_with_it_through_the_index_of_pending_keys(
    games_app: App, login: Login, world: World
) -> None:
    """The game's pending jobs are a column of its statement: the same as the queue lists under its prefix,
    and read through the index of pending keys (not a scan of every pending job)."""
    game_id, guild_id = await _a_game_with_every_kind_of_value(login, world)
    async with games_app.db.read(guild_id=guild_id) as conn:
        (row,) = await _READ_SHOWN_GAME.rows(conn, {"game_id": game_id})
        listed = await games_app.queue.pending(conn, dedupe_prefix=prefix(game_id))
        compiled = _READ_SHOWN_GAME._compile(conn.dialect)
        assert compiled is not None
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.execute("SET enable_seqscan = off")  # a scan shows up even though the table is small
        try:
            plan = await driver.fetch("EXPLAIN " + compiled.sql, *compiled.arguments({"game_id": game_id}))
        finally:
            await driver.execute("RESET enable_seqscan")
    items = scheduled_items(row.scheduled_json)
    assert [(i.kind, i.reminder_minutes) for i in items][:2] == [("reminder", 60), ("reminder", 15)]
    # A reminder shows its moment; its job runs REMINDER_LEAD ahead of it, to word the DMs.
    assert items[0].due_at == row.scheduled_at - timedelta(minutes=60)
    assert [
        (i.due_at - (REMINDER_LEAD if i.kind == "reminder" else timedelta()), i.reminder_minutes)
        for i in items
    ] == [(job["due_at"], job["payload"].get("minutes")) for job in listed]
    shown = "\n".join(line[0] for line in plan)
    assert "ix_jobs_pending_dedupe_prefix" in shown and "Seq Scan on jobs" not in shown, shown


async def test_a_page_of_games_on_the_driver_equals_sqlalchemys_rows(
    games_app: App, login: Login, world: World
) -> None:
    await _a_game_with_every_kind_of_value(login, world)
    await _a_game_with_every_kind_of_value(login, world)
    guild_id = world.guild_id()
    params = {
        "guild_id": guild_id,
        "channel_id": None,
        "user_id": world.user_id("dave"),
        "limit": 25,
        "offset": 0,
        "after_at": None,
        "after_id": None,
    }
    query, _ = _guild_page(_GuildPage(statuses=(), channel=False, role=None, manager=False, after=False))
    async with games_app.db.read(guild_id=guild_id) as conn:
        on_driver = await query.rows(conn, params)
        through_sqlalchemy = plain_rows(await conn.execute(query.statement, params))
    assert len(on_driver) == 2 and on_driver == through_sqlalchemy


async def test_a_statement_with_an_expanding_in_runs_through_sqlalchemy_with_the_same_rows(
    games_app: App, login: Login, world: World
) -> None:
    await _a_game_with_every_kind_of_value(login, world)
    query, _ = _guild_page(
        _GuildPage(statuses=("scheduled", "completed"), channel=False, role=None, manager=True, after=False)
    )
    params = {"guild_id": world.guild_id(), "limit": 25, "offset": 0, "user_id": 0}
    async with games_app.db.read(guild_id=world.guild_id()) as conn:
        assert query._compile(conn.dialect) is None, "an IN list's SQL depends on its values"
        rows = await query.rows(conn, params)
    assert [row.status for row in rows] == ["scheduled"]


async def test_a_failing_statement_raises_its_own_error_and_the_connection_stays_usable(
    games_app: App,
) -> None:
    broken = DriverStatement(text("SELECT 1 / CAST(:zero AS integer) AS x"))
    async with games_app.db.read() as conn:
        with pytest.raises(asyncpg.PostgresError, match="division by zero"):
            await broken.rows(conn, {"zero": 0})
        assert await DriverStatement(text("SELECT CAST(:n AS integer) AS n")).rows(conn, {"n": 7}) == [(7,)]
