"""Migration 0012 (images): existing games stay valid without images, and it goes back down cleanly."""

from __future__ import annotations

from sqlalchemy import text

from gamesched.core.db import create_engine
from tests.core.test_db import _migrate
from tests.db import admin_execute, unique_name, with_database


async def test_migration_0011_keeps_games_and_downgrades_cleanly(pg_server_url: str) -> None:
    name = unique_name("gs_images")
    await admin_execute(pg_server_url, f'CREATE DATABASE "{name}"')
    engine = create_engine(with_database(pg_server_url, name))
    bypass = text("SELECT set_config('app.bypass_rls', 'on', true)")
    try:
        await _migrate(engine, "0011")
        async with engine.begin() as conn:
            await conn.execute(bypass)
            await conn.execute(text("INSERT INTO guilds (id, name, owner_id) VALUES (1, 'g', 1)"))
            await conn.execute(text("INSERT INTO channels (id, guild_id, name, type) VALUES (10, 1, 'c', 0)"))
            await conn.execute(
                text(
                    "INSERT INTO games (guild_id, channel_id, host_id, title, scheduled_at, max_players)"
                    " VALUES (1, 10, 1, 'Old game', now(), 4)"
                )
            )
        await _migrate(engine, "0012")
        image = "a" * 64 + ".png"
        async with engine.begin() as conn:
            await conn.execute(bypass)
            row = (await conn.execute(text("SELECT title, thumbnail_image, banner_image FROM games"))).one()
            assert tuple(row) == ("Old game", None, None)
            await conn.execute(
                text("INSERT INTO images VALUES (:n, 'image/png', 1, 1, '\\x00'::bytea, now(), now())"),
                {"n": image},
            )
            await conn.execute(text("UPDATE games SET banner_image = :n"), {"n": image})

        await _migrate(engine, "0011", down=True)
        async with engine.begin() as conn:
            await conn.execute(bypass)
            assert await conn.scalar(text("SELECT to_regclass('images')")) is None
            columns = set(
                (
                    await conn.execute(
                        text("SELECT column_name FROM information_schema.columns WHERE table_name = 'games'")
                    )
                ).scalars()
            )
            assert not {"thumbnail_image", "banner_image"} & columns
            assert await conn.scalar(text("SELECT title FROM games")) == "Old game"
        await _migrate(engine, "0012")  # and up again
    finally:
        await engine.dispose()
        await admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}"')
