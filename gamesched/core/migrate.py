"""Run alembic migrations from inside the app (``gamesched migrate`` and at ``run`` start)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

#: gamesched/migrations/ (env.py, script.py.mako, versions/), package data in pyproject.toml; alembic finds
#: it through importlib.resources wherever gamesched is installed.
SCRIPT_LOCATION = "gamesched:migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


async def upgrade_head(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision; concurrent starters wait on an advisory lock."""

    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.connect() as conn:
        # Several processes may start at once against one database: serialize their migrations.
        await conn.exec_driver_sql("SELECT pg_advisory_lock(7405311)")
        await conn.commit()
        try:
            await conn.run_sync(upgrade)
            await conn.commit()
        finally:
            await conn.exec_driver_sql("SELECT pg_advisory_unlock(7405311)")
            await conn.commit()
