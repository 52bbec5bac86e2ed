"""Migrations and row-level security."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched.core.db import APP_ROLE, Database, create_engine, use_app_role
from gamesched.core.migrate import alembic_config, upgrade_head
from tests.db import admin_execute, asyncpg_url, unique_name, with_database


@contextlib.asynccontextmanager
async def _scratch_database(server_url: str, prefix: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a new empty database of the test server, dropped afterwards."""
    name = unique_name(prefix)
    await admin_execute(server_url, f'CREATE DATABASE "{name}"')
    engine = create_engine(with_database(server_url, name))
    try:
        yield engine
    finally:
        await engine.dispose()
        await admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_migrations_run_up_from_an_empty_database_and_again_as_a_no_op(pg_server_url: str) -> None:
    async with _scratch_database(pg_server_url, "gs_empty") as engine:
        await upgrade_head(engine)
        await upgrade_head(engine)
        async with engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
            tables = set(
                (
                    await conn.execute(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                    )
                ).scalars()
            )
        assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert {"jobs", "alembic_version"} <= tables


async def _guild_scoped_table(database_url: str) -> None:
    # Created as the owner, the way a migration would, with the helper every guild table uses.
    owner = create_engine(database_url)
    async with owner.begin() as conn:
        await conn.execute(
            text("CREATE TABLE notes (id serial PRIMARY KEY, guild_id bigint NOT NULL, body text)")
        )
        await conn.execute(text("SELECT gamesched_enable_guild_rls('notes')"))
        await conn.execute(
            text("INSERT INTO notes (guild_id, body) VALUES (1, 'one'), (1, 'uno'), (2, 'two')")
        )
    await owner.dispose()


async def test_guild_scoped_query_without_a_guild_returns_no_rows(
    engine: AsyncEngine, database_url: str
) -> None:
    await _guild_scoped_table(database_url)
    db = Database(engine)
    async with db.uow() as uow:
        rows = (await uow.session.execute(text("SELECT body FROM notes"))).scalars().all()
    assert rows == []


async def test_guild_context_shows_only_that_guilds_rows(engine: AsyncEngine, database_url: str) -> None:
    await _guild_scoped_table(database_url)
    db = Database(engine)
    async with db.uow(guild_id=1) as uow:
        ones = sorted((await uow.session.execute(text("SELECT body FROM notes"))).scalars())
    async with db.uow(guild_id=2) as uow:
        twos = (await uow.session.execute(text("SELECT body FROM notes"))).scalars().all()
    assert ones == ["one", "uno"]
    assert twos == ["two"]


async def test_writing_into_another_guild_is_refused(engine: AsyncEngine, database_url: str) -> None:
    await _guild_scoped_table(database_url)
    with pytest.raises(DBAPIError, match="row-level security"):
        async with Database(engine).uow(guild_id=1) as uow:
            await uow.session.execute(text("INSERT INTO notes (guild_id, body) VALUES (2, 'sneaky')"))


async def test_explicit_bypass_sees_every_guild(engine: AsyncEngine, database_url: str) -> None:
    await _guild_scoped_table(database_url)
    async with Database(engine).uow(bypass_rls=True) as uow:
        count = (await uow.session.execute(text("SELECT count(*) FROM notes"))).scalar_one()
    assert count == 3


async def test_a_unit_of_work_begins_scoped_to_its_guild_in_one_round_trip(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []  # what goes on the wire as simple queries
    original = asyncpg.Connection.execute

    async def recording(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> str:
        sent.append(query)
        return await original(self, query, *args, **kwargs)

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:  # the pool's connection exists before we count
            await conn.execute(text("SELECT 1"))
        monkeypatch.setattr(asyncpg.Connection, "execute", recording)
        async with Database(engine).uow(guild_id=42) as uow:
            assert sent == [
                "BEGIN; SELECT set_config('app.guild_id', '42', true), set_config('app.bypass_rls', 'off', true)"
            ]
            setting = (await uow.session.execute(text("SELECT current_setting('app.guild_id')"))).scalar_one()
        assert setting == "42"
        async with engine.connect() as conn:  # the context was local to that transaction
            after = (await conn.execute(text("SELECT current_setting('app.guild_id', true)"))).scalar_one()
        assert after in ("", None)
    finally:
        await engine.dispose()


async def _bodies(conn: Any) -> list[str]:
    return sorted((await conn.execute(text("SELECT body FROM notes"))).scalars())


async def test_reads_outside_a_transaction_see_only_their_guild_on_a_shared_connection(
    database_url: str,
) -> None:
    await _guild_scoped_table(database_url)
    engine = create_engine(database_url, pool_size=1)  # one connection: every read and unit of work shares it
    await use_app_role(engine)
    db = Database(engine)
    try:
        async with db.read(guild_id=1) as conn:
            assert await _bodies(conn) == ["one", "uno"]
        async with db.read(guild_id=2) as conn:
            assert await _bodies(conn) == ["two"]
        async with db.read() as conn:
            assert await _bodies(conn) == []
        # The connection keeps the last read's guild for its session; a unit of work's own context wins.
        async with db.read(guild_id=1) as conn:
            assert await _bodies(conn) == ["one", "uno"]
        async with db.uow() as uow:
            assert await _bodies(uow.session) == []
        async with db.uow(guild_id=2) as uow:
            assert await _bodies(uow.session) == ["two"]
        async with db.read(guild_id=1) as conn:
            assert await _bodies(conn) == ["one", "uno"]
        # A trusted system read sees every guild; the next guild read on the connection is scoped again.
        async with db.read(bypass_rls=True) as conn:
            assert await _bodies(conn) == ["one", "two", "uno"]
        async with db.read(guild_id=2) as conn:
            assert await _bodies(conn) == ["two"]
        async with db.read(bypass_rls=True) as conn:
            assert await _bodies(conn) == ["one", "two", "uno"]
        async with db.uow(guild_id=1) as uow:
            assert await _bodies(uow.session) == ["one", "uno"]
    finally:
        await engine.dispose()


async def test_a_connection_whose_first_unit_of_work_failed_still_acts_as_the_app_role(
    database_url: str,
) -> None:
    await _guild_scoped_table(database_url)
    engine = create_engine(database_url, pool_size=1)
    await use_app_role(engine)
    db = Database(engine)
    try:
        with pytest.raises(RuntimeError):
            async with db.uow(guild_id=1):
                raise RuntimeError("the first use of the connection goes wrong: rolled back")
        async with db.uow(guild_id=1) as uow:
            assert await _bodies(uow.session) == ["one", "uno"]
            role = (await uow.session.execute(text("SELECT current_user"))).scalar_one()
        assert role == APP_ROLE
    finally:
        await engine.dispose()


async def test_a_second_read_of_the_same_guild_costs_its_statement_only(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    original = asyncpg.Connection.execute

    async def recording(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> str:
        sent.append(query)
        return await original(self, query, *args, **kwargs)

    engine = create_engine(database_url, pool_size=1)
    db = Database(engine)
    statements: list[str] = []  # what SQLAlchemy sends (prepared statements)

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements.append(sql)

    event.listen(engine.sync_engine, "before_cursor_execute", statement)
    try:
        async with engine.connect() as conn:  # the pool's connection exists before we count
            await conn.execute(text("SELECT 1"))
        statements.clear()
        monkeypatch.setattr(asyncpg.Connection, "execute", recording)
        for _ in range(3):
            async with db.read(guild_id=7) as conn:
                assert (
                    await conn.execute(text("SELECT current_setting('app.guild_id')"))
                ).scalar_one() == "7"
        async with db.read(guild_id=8) as conn:
            assert (await conn.execute(text("SELECT current_setting('app.guild_id')"))).scalar_one() == "8"
        contexts = [q for q in statements if "set_config" in q]
        assert contexts == [
            "SELECT set_config('app.guild_id', '7', false), set_config('app.bypass_rls', 'off', false)",
            "SELECT set_config('app.guild_id', '8', false), set_config('app.bypass_rls', 'off', false)",
        ]
        assert not [q for q in sent if q.startswith(("BEGIN", "COMMIT"))]
    finally:
        await engine.dispose()


async def test_a_read_on_pooled_connections_that_died_starts_on_a_fresh_one(database_url: str) -> None:
    engine = create_engine(database_url)
    db = Database(engine)
    try:
        async with db.read(guild_id=1), db.read(guild_id=2):  # two pooled connections
            pass
        await admin_execute(
            database_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        async with db.read(guild_id=3) as conn:
            setting = (await conn.execute(text("SELECT current_setting('app.guild_id')"))).scalar_one()
        assert setting == "3"
    finally:
        await engine.dispose()


async def test_a_unit_of_work_on_pooled_connections_that_died_starts_on_a_fresh_one(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    db = Database(engine)
    try:
        async with db.uow(guild_id=1), db.uow(guild_id=2):  # two pooled connections
            pass
        await admin_execute(
            database_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        async with db.uow(guild_id=3) as uow:
            setting = (await uow.session.execute(text("SELECT current_setting('app.guild_id')"))).scalar_one()
        assert setting == "3"
    finally:
        await engine.dispose()


async def test_rls_holds_even_when_the_login_is_a_superuser(database_url: str) -> None:
    await _guild_scoped_table(database_url)
    engine = create_engine(database_url)
    try:
        assert await use_app_role(engine) is True
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT current_user"))).scalar_one() == "gamesched_app"
            assert (await conn.execute(text("SELECT count(*) FROM notes"))).scalar_one() == 0
    finally:
        await engine.dispose()


async def _migrate(engine: AsyncEngine, revision: str, *, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with engine.connect() as conn:
        await conn.run_sync(run)
        await conn.commit()


async def test_migration_0007_counts_existing_games_and_downgrades_cleanly(pg_server_url: str) -> None:
    async with _scratch_database(pg_server_url, "gs_counts") as engine:
        await _migrate(engine, "0006")
        async with engine.begin() as conn:
            await conn.execute(text("SELECT set_config('app.bypass_rls', 'on', true)"))
            for guild in (1, 2):
                await conn.execute(
                    text("INSERT INTO guilds (id, name, owner_id) VALUES (:g, 'g', 1)"), {"g": guild}
                )
                await conn.execute(
                    text("INSERT INTO channels (id, guild_id, name, type) VALUES (:c, :g, 'c', 0)"),
                    {"c": guild * 10, "g": guild},
                )
            await conn.execute(
                text(
                    "INSERT INTO games (guild_id, channel_id, host_id, title, scheduled_at, max_players, status)"
                    " SELECT g, g * 10, 1, 't', now(), 4, s"
                    " FROM (VALUES (1, 'scheduled'), (1, 'scheduled'), (1, 'cancelled'), (2, 'completed')) v(g, s)"
                )
            )
        await _migrate(engine, "head")

        async def counts() -> list[tuple[int, int, str, int]]:
            async with engine.begin() as conn:
                await conn.execute(text("SELECT set_config('app.bypass_rls', 'on', true)"))
                rows = await conn.execute(text("SELECT * FROM game_counts ORDER BY 1, 2, 3"))
                return [tuple(row) for row in rows]

        assert await counts() == [(1, 10, "cancelled", 1), (1, 10, "scheduled", 2), (2, 20, "completed", 1)]
        async with engine.begin() as conn:  # the triggers keep them from now on
            await conn.execute(text("SELECT set_config('app.bypass_rls', 'on', true)"))
            await conn.execute(text("UPDATE games SET status = 'in_progress' WHERE status = 'scheduled'"))
            await conn.execute(text("DELETE FROM games WHERE guild_id = 2"))
        assert await counts() == [
            (1, 10, "cancelled", 1),
            (1, 10, "in_progress", 2),
            (1, 10, "scheduled", 0),
            (2, 20, "completed", 0),
        ]

        await _migrate(engine, "0006", down=True)
        async with engine.connect() as conn:
            tables = set(
                (
                    await conn.execute(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                    )
                ).scalars()
            )
            indexes = set(
                (
                    await conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'games'"))
                ).scalars()
            )
        assert "game_counts" not in tables
        assert {"ix_games_guild_status_scheduled", "ix_games_channel_id"} <= indexes
        assert "ix_games_guild_scheduled" not in indexes
        await _migrate(engine, "head")
        assert await counts() == [(1, 10, "cancelled", 1), (1, 10, "in_progress", 2)]


async def test_connections_opened_for_a_burst_are_kept_for_the_next(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=12)
    db = Database(engine)

    async def backend() -> int:
        async with db.uow() as uow:
            pid = await uow.session.scalar(text("SELECT pg_backend_pid() FROM pg_sleep(0.05)"))
            return int(pid or 0)

    try:
        first = set(await asyncio.gather(*(backend() for _ in range(12))))
        second = set(await asyncio.gather(*(backend() for _ in range(12))))
        more = set(await asyncio.gather(*(backend() for _ in range(20))))  # more than the pool: they wait
    finally:
        await engine.dispose()
    assert len(first) == 12
    assert second == first
    assert more == first


async def test_migration_0013_gives_every_server_a_default_template_and_downgrades(
    pg_server_url: str,
) -> None:
    async with _scratch_database(pg_server_url, "gs_templates") as engine:

        async def query(sql: str) -> list[tuple[Any, ...]]:
            async with engine.begin() as conn:
                await conn.execute(text("SELECT set_config('app.bypass_rls', 'on', true)"))
                return [tuple(row) for row in await conn.execute(text(sql))]

        await _migrate(engine, "0012")
        async with engine.begin() as conn:
            await conn.execute(text("SELECT set_config('app.bypass_rls', 'on', true)"))
            await conn.execute(
                text("INSERT INTO guilds (id, name, owner_id) VALUES (1, 'g', 1), (2, 'h', 1)")
            )
            await conn.execute(
                text(
                    "INSERT INTO channels (id, guild_id, name, type, position) VALUES"
                    " (10, 1, 'voice', 2, 0), (11, 1, 'second', 0, 2), (12, 1, 'first', 0, 1)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO games (guild_id, channel_id, host_id, title, scheduled_at, max_players)"
                    " VALUES (1, 11, 1, 't', now(), 4)"
                )
            )
        await _migrate(engine, "head")
        assert await query(
            "SELECT guild_id, name, is_default, channel_id FROM game_templates ORDER BY guild_id"
        ) == [(1, "Default", True, 12), (2, "Default", True, None)]
        assert await query("SELECT template_id, template_name, locked_fields FROM games") == [
            (None, None, [])
        ]

        await _migrate(engine, "0012", down=True)
        assert await query("SELECT to_regclass('game_templates') IS NULL") == [(True,)]
        assert await query("SELECT title FROM games") == [("t",)]
        await _migrate(engine, "head")
        assert len(await query("SELECT id FROM game_templates")) == 2


async def test_migration_0014_keeps_existing_games_valid_and_downgrades_cleanly(pg_server_url: str) -> None:
    async with _scratch_database(pg_server_url, "gs_lifecycle") as engine:

        async def columns() -> set[str]:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text("SELECT column_name FROM information_schema.columns WHERE table_name = 'games'")
                )
                return set(rows.scalars())

        await _migrate(engine, "0013")
        async with engine.begin() as conn:
            await conn.execute(text("SELECT set_config('app.bypass_rls', 'on', true)"))
            await conn.execute(text("INSERT INTO guilds (id, name, owner_id) VALUES (1, 'g', 1)"))
            await conn.execute(text("INSERT INTO channels (id, guild_id, name, type) VALUES (10, 1, 'c', 0)"))
            await conn.execute(
                text(
                    "INSERT INTO games (guild_id, channel_id, host_id, title, scheduled_at, max_players, status)"
                    " VALUES (1, 10, 1, 'old', now(), 4, 'completed')"
                )
            )
        await _migrate(engine, "head")
        async with engine.begin() as conn:
            await conn.execute(text("SELECT set_config('app.bypass_rls', 'on', true)"))
            row = (
                await conn.execute(
                    text(
                        "SELECT post_at, archive_delay_minutes, archive_channel_id, rewards, remind_rewards FROM games"
                    )
                )
            ).one()
        # An existing game: announced, never archived, no rewards, no reminder about them.
        assert tuple(row) == (None, None, None, "", False)

        await _migrate(engine, "0013", down=True)
        assert not {"post_at", "archive_delay_minutes", "rewards", "remind_rewards"} & await columns()
        async with engine.connect() as conn:
            indexes = set(
                (
                    await conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'games'"))
                ).scalars()
            )
        assert "ix_games_not_announced" not in indexes
        await _migrate(engine, "head")
        assert {"post_at", "rewards", "archive_message_id", "completed_at"} <= await columns()


async def test_migration_0015_adds_the_claim_index_and_downgrades_cleanly(pg_server_url: str) -> None:
    async with _scratch_database(pg_server_url, "gs_claims") as engine:

        async def job_indexes() -> set[str]:
            async with engine.connect() as conn:
                query = text("SELECT indexname FROM pg_indexes WHERE tablename = 'jobs'")
                return set((await conn.execute(query)).scalars())

        await _migrate(engine, "0015")
        assert "ix_jobs_pending_kind_due" in await job_indexes()
        await _migrate(engine, "0014", down=True)
        assert "ix_jobs_pending_kind_due" not in await job_indexes()
        assert "ix_jobs_pending_due" in await job_indexes()
        await _migrate(engine, "head")
        assert "ix_jobs_pending_kind_due" in await job_indexes()


async def test_migration_0017_adds_the_cache_table_and_downgrades_cleanly(pg_server_url: str) -> None:
    async with _scratch_database(pg_server_url, "gs_cache") as engine:
        exists = text("SELECT to_regclass('cache_entries') IS NOT NULL")
        await _migrate(engine, "0017")
        async with engine.begin() as conn:
            assert (await conn.execute(exists)).scalar_one() is True
            await conn.execute(text("INSERT INTO cache_entries VALUES ('k', '\\x01'::bytea, now())"))
        await _migrate(engine, "0016", down=True)
        async with engine.connect() as conn:
            assert (await conn.execute(exists)).scalar_one() is False
        await _migrate(engine, "0017")


async def test_migration_0018_adds_the_projection_of_discord_and_downgrades_cleanly(
    pg_server_url: str,
) -> None:
    async with _scratch_database(pg_server_url, "gs_projection") as engine:
        tables = text(
            "SELECT to_regclass('guild_roles') IS NOT NULL AND to_regclass('guild_members') IS NOT NULL"
        )
        columns = text(
            "SELECT count(*) FROM information_schema.columns WHERE (table_name, column_name) IN "
            "(('guilds', 'emojis'), ('channels', 'bot_permissions'))"
        )
        await _migrate(engine, "0018")
        async with engine.begin() as conn:
            assert (await conn.execute(tables)).scalar_one() is True
            assert (await conn.execute(columns)).scalar_one() == 2
            rls = text(
                "SELECT bool_and(relrowsecurity AND relforcerowsecurity) FROM pg_class "
                "WHERE relname IN ('guild_roles', 'guild_members')"
            )
            assert (await conn.execute(rls)).scalar_one() is True, "guild-scoped, like every such table"
            await conn.execute(text("INSERT INTO guilds (id, name, owner_id) VALUES (1, 'g', 2)"))
            await conn.execute(
                text("INSERT INTO guild_roles (id, guild_id, name) VALUES (1, 1, '@everyone')")
            )
            await conn.execute(
                text("INSERT INTO guild_members (guild_id, user_id, role_ids) VALUES (1, 2, '{1}')")
            )
        await _migrate(engine, "0017", down=True)
        async with engine.connect() as conn:
            assert (await conn.execute(tables)).scalar_one() is False
            assert (await conn.execute(columns)).scalar_one() == 0
        await _migrate(engine, "0018")


async def test_migration_0019_adds_the_jobs_guild_and_downgrades_cleanly(pg_server_url: str) -> None:
    async with _scratch_database(pg_server_url, "gs_job_guild") as engine:
        column = text(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'jobs' AND column_name = 'guild_id'"
        )
        await _migrate(engine, "0019")
        async with engine.begin() as conn:
            assert (await conn.execute(column)).scalar_one() == 1
            await conn.execute(
                text("INSERT INTO jobs (kind, payload, due_at, guild_id) VALUES ('k', '{}', now(), 42)")
            )
        await _migrate(engine, "0018", down=True)
        async with engine.connect() as conn:
            assert (await conn.execute(column)).scalar_one() == 0
            assert (await conn.execute(text("SELECT count(*) FROM jobs"))).scalar_one() == 1
        await _migrate(engine, "0019")


async def test_migration_0020_adds_time_zones_and_downgrades_cleanly(pg_server_url: str) -> None:
    async with _scratch_database(pg_server_url, "gs_tz") as engine:
        table = text("SELECT to_regclass('user_preferences') IS NOT NULL")
        column = text(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'games' AND column_name = 'time_zone'"
        )
        await _migrate(engine, "0020")
        async with engine.begin() as conn:
            assert (await conn.execute(table)).scalar_one() is True
            assert (await conn.execute(column)).scalar_one() == 1
            await conn.execute(
                text("INSERT INTO user_preferences (user_id, time_zone) VALUES (1, 'Europe/Berlin')")
            )
        await _migrate(engine, "0019", down=True)
        async with engine.connect() as conn:
            assert (await conn.execute(table)).scalar_one() is False
            assert (await conn.execute(column)).scalar_one() == 0
        await _migrate(engine, "0020")


async def test_migration_0021_adds_calendar_feeds_and_downgrades_cleanly(pg_server_url: str) -> None:
    async with _scratch_database(pg_server_url, "gs_feeds") as engine:
        table = text("SELECT to_regclass('calendar_feeds') IS NOT NULL")
        insert = text("INSERT INTO calendar_feeds (user_id, salt, token_hash) VALUES (:user, '\\x01', :hash)")
        await _migrate(engine, "0021")
        async with engine.begin() as conn:
            assert (await conn.execute(table)).scalar_one() is True
            await conn.execute(insert, {"user": 1, "hash": b"same"})
        with pytest.raises(DBAPIError):  # a token hash names one person only
            async with engine.begin() as conn:
                await conn.execute(insert, {"user": 2, "hash": b"same"})
        await _migrate(engine, "0020", down=True)
        async with engine.connect() as conn:
            assert (await conn.execute(table)).scalar_one() is False


async def test_migration_0022_adds_the_confirmation_deadline_and_downgrades_cleanly(
    pg_server_url: str,
) -> None:
    async with _scratch_database(pg_server_url, "gs_confirm") as engine:
        column = text(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'participants' AND column_name = 'confirm_by'"
        )
        await _migrate(engine, "0022")
        async with engine.connect() as conn:
            assert (await conn.execute(column)).scalar_one() == 1
        await _migrate(engine, "0021", down=True)
        async with engine.connect() as conn:
            assert (await conn.execute(column)).scalar_one() == 0
        await _migrate(engine, "0022")


async def test_migration_0023_adds_game_series_and_downgrades_cleanly(pg_server_url: str) -> None:
    async with _scratch_database(pg_server_url, "gs_series") as engine:
        table = text("SELECT to_regclass('game_series') IS NOT NULL")
        columns = text(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'games'"
            " AND column_name IN ('series_id', 'recurrence_id')"
        )
        await _migrate(engine, "0023")
        async with engine.begin() as conn:
            assert (await conn.execute(table)).scalar_one() is True
            assert (await conn.execute(columns)).scalar_one() == 2
            forced = await conn.execute(
                text("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'game_series'")
            )
            assert forced.scalar_one() is True
        await _migrate(engine, "0022", down=True)
        async with engine.connect() as conn:
            assert (await conn.execute(table)).scalar_one() is False
            assert (await conn.execute(columns)).scalar_one() == 0
        await _migrate(engine, "0023")


async def test_migration_0025_names_the_kind_in_the_queues_notification_and_downgrades_cleanly(
    pg_server_url: str,
) -> None:
    async with _scratch_database(pg_server_url, "gs_notify_kind") as engine:
        insert = text(
            "INSERT INTO jobs (kind, payload, due_at) VALUES ('games.start', '{}', '2030-01-01T12:00:30.5Z')"
        )

        async def payload_of_an_insert() -> str:
            raw = await asyncpg.connect(asyncpg_url(engine.url.render_as_string(hide_password=False)))
            heard: asyncio.Queue[str] = asyncio.Queue()
            try:
                await raw.add_listener("gamesched_jobs", lambda *args: heard.put_nowait(args[-1]))
                async with engine.begin() as conn:
                    await conn.execute(insert)
                return await asyncio.wait_for(heard.get(), 5)
            finally:
                await raw.close()

        await _migrate(engine, "0025")
        assert await payload_of_an_insert() == "1893499230 games.start"
        await _migrate(engine, "0024", down=True)
        assert await payload_of_an_insert() == "1893499230"


async def test_sessions_read_timestamps_in_utc_whatever_the_databases_own_time_zone(
    database_url: str,
) -> None:
    """Timestamps PostgreSQL writes as text (a roster or a schedule read as one JSON value) are in the
    session's TimeZone: the app's sessions set UTC, as the driver's binary timestamps always are."""
    name = database_url.rsplit("/", 1)[1].split("?")[0]
    conn = await asyncpg.connect(asyncpg_url(database_url))
    try:
        await conn.execute(f"ALTER DATABASE \"{name}\" SET timezone = 'America/New_York'")
    finally:
        await conn.close()
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as session:
            shown = await session.scalar(text("SELECT to_json('2026-11-28 20:00:00+00'::timestamptz)::text"))
    finally:
        await engine.dispose()
    plain = await asyncpg.connect(asyncpg_url(database_url))
    try:
        assert await plain.fetchval("SHOW timezone") == "America/New_York", "the database's own default"
    finally:
        await plain.close()
    assert shown == '"2026-11-28T20:00:00+00:00"'
