"""Migration 0016 (template archive settings, images, channel_locked): existing templates stay valid, the
untouched default ones stop locking their channel, and it goes back down cleanly."""

from __future__ import annotations

from sqlalchemy import text

from gamesched.core.db import create_engine
from tests.core.test_db import _migrate
from tests.db import admin_execute, unique_name, with_database


async def test_migration_0016_unlocks_untouched_defaults_and_downgrades_cleanly(pg_server_url: str) -> None:
    name = unique_name("gs_tpl15")
    await admin_execute(pg_server_url, f'CREATE DATABASE "{name}"')
    engine = create_engine(with_database(pg_server_url, name))
    bypass = text("SELECT set_config('app.bypass_rls', 'on', true)")
    try:
        await _migrate(engine, "0012")
        async with engine.begin() as conn:
            await conn.execute(bypass)
            for gid in (1, 2):
                await conn.execute(text(f"INSERT INTO guilds (id, name, owner_id) VALUES ({gid}, 'g', 1)"))
                await conn.execute(
                    text(f"INSERT INTO channels (id, guild_id, name, type) VALUES ({gid}0, {gid}, 'c', 0)")
                )
        await _migrate(engine, "0015")  # 0013 made a default template per guild, locking its first channel
        async with engine.begin() as conn:
            await conn.execute(bypass)
            # Guild 2's manager edited theirs: what they chose stays locked.
            await conn.execute(
                text("UPDATE game_templates SET updated_at = now() + interval '1 minute' WHERE guild_id = 2")
            )
            await conn.execute(
                text("INSERT INTO game_templates (guild_id, name, channel_id) VALUES (1, 'Campaign', 10)")
            )
        await _migrate(engine, "0016")
        async with engine.begin() as conn:
            await conn.execute(bypass)
            rows = (
                await conn.execute(
                    text(
                        "SELECT guild_id, name, channel_id, channel_locked, archive_delay_minutes,"
                        " thumbnail_image FROM game_templates ORDER BY guild_id, name"
                    )
                )
            ).all()
            assert [tuple(r) for r in rows] == [
                (1, "Campaign", 10, True, None, None),
                (1, "Default", 10, False, None, None),
                (2, "Default", 20, True, None, None),
            ]
            image = "b" * 64 + ".png"
            await conn.execute(
                text("INSERT INTO images VALUES (:n, 'image/png', 1, 1, '\\x00'::bytea, now(), now())"),
                {"n": image},
            )
            await conn.execute(
                text("UPDATE game_templates SET banner_image = :n, archive_delay_minutes = 5"), {"n": image}
            )

        await _migrate(engine, "0015", down=True)
        async with engine.begin() as conn:
            await conn.execute(bypass)
            columns = set(
                (
                    await conn.execute(
                        text(
                            "SELECT column_name FROM information_schema.columns"
                            " WHERE table_name = 'game_templates'"
                        )
                    )
                ).scalars()
            )
            assert (
                not {
                    "channel_locked",
                    "archive_channel_id",
                    "archive_delay_minutes",
                    "thumbnail_image",
                    "banner_image",
                }
                & columns
            )
            assert await conn.scalar(text("SELECT count(*) FROM game_templates")) == 3
        await _migrate(engine, "0016")  # and up again
    finally:
        await engine.dispose()
        await admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}"')
