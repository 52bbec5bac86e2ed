"""Where tests find PostgreSQL: GAMESCHED_TEST_DATABASE_URL, else 127.0.0.1:5432, else an embedded server."""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from gamesched.core.config import normalize_database_url

LOCAL_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def resolve_server_url() -> tuple[str, Callable[[], None]]:
    """An admin URL (any database on the server) and a function that releases the server."""
    explicit = os.environ.get("GAMESCHED_TEST_DATABASE_URL")
    if explicit:
        return normalize_database_url(explicit), lambda: None
    if _reachable("127.0.0.1", 5432):
        return LOCAL_URL, lambda: None
    from gamesched.core.embedded_pg import EmbeddedPostgres

    embedded = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="gamesched-test-pg-")))
    return embedded.start(), embedded.stop


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def asyncpg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


async def admin_execute(server_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(asyncpg_url(server_url))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()
