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


def shared_server_url() -> str | None:
    """GAMESCHED_TEST_DATABASE_URL, else 127.0.0.1:5432 if it answers: a server other processes use too."""
    explicit = os.environ.get("GAMESCHED_TEST_DATABASE_URL")
    if explicit:
        return normalize_database_url(explicit)
    if _reachable("127.0.0.1", 5432):
        return LOCAL_URL
    return None


def resolve_server_url() -> tuple[str, Callable[[], None]]:
    """An admin URL (any database on the server) and a function that releases the server.

    The embedded fallback is a server of this process's own (each pytest-xdist worker starts one)."""
    shared = shared_server_url()
    if shared is not None:
        return shared, lambda: None
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


#: pg_advisory_lock key (any constant) for ``prepare_cluster``.
_CLUSTER_LOCK = 0x67_61_6D_65


async def prepare_cluster(server_url: str) -> None:
    """Do the cluster-wide part of the first migration once, whoever asks first.

    Migration 0001 creates the role gamesched_app and grants it to the login: cluster-wide, once. On a fresh
    server, two first migrations at the same moment (pytest-xdist workers each migrating a template, a test
    running ``gamesched migrate``) would both create the role, and one would fail on a duplicate key. Under
    an advisory lock, the first caller migrates a scratch database; the others find the role in place.
    """
    from gamesched.core.db import create_engine
    from gamesched.core.migrate import upgrade_head

    conn = await asyncpg.connect(asyncpg_url(server_url))
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _CLUSTER_LOCK)
        ready = await conn.fetchval(
            """
            SELECT NOT (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user)
                OR EXISTS (
                    SELECT 1 FROM pg_auth_members m
                    JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
                    WHERE r.rolname = 'gamesched_app' AND u.rolname = current_user
                )
            """
        )
        if not ready:
            name = unique_name("gs_cluster")
            await conn.execute(f'CREATE DATABASE "{name}"')
            engine = create_engine(with_database(server_url, name))
            try:
                await upgrade_head(engine)
            finally:
                await engine.dispose()
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()  # which releases the advisory lock
