"""Alembic environment. The app passes an open connection in ``config.attributes['connection']``;
the alembic CLI (``alembic upgrade head``) connects with GAMESCHED_DATABASE_URL instead."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from gamesched.core.config import normalize_database_url
from gamesched.core.db import Base

target_metadata = Base.metadata


def run_with_connection(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run_from_environment() -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    url = os.environ.get("GAMESCHED_DATABASE_URL")
    if not url:
        raise SystemExit(
            "GAMESCHED_DATABASE_URL is required to run alembic directly; or use `gamesched migrate`"
        )
    engine = create_async_engine(normalize_database_url(url))
    async with engine.begin() as conn:
        await conn.run_sync(run_with_connection)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=os.environ.get("GAMESCHED_DATABASE_URL", ""), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
elif (connection := context.config.attributes.get("connection")) is not None:
    run_with_connection(connection)
else:
    asyncio.run(run_from_environment())
