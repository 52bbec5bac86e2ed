"""Without Redis, sessions and login states live in PostgreSQL: every web process of a deployment sees them.

Two apps on one database, the second talking to the first's sandbox as to Discord (two processes behind a
load balancer): a login made through one works on the other, a login started on one can finish on the
other, and logging out on one ends the session everywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched.app import App
from gamesched.core.config import Settings
from tests.conftest import serving, wait_for_discord
from tests.login import SESSION_COOKIE, login_as


@pytest.fixture
async def first(app_settings: Settings) -> AsyncIterator[App]:
    async with serving(app_settings.with_overrides(sandbox=True)) as app:
        await wait_for_discord(app)
        yield app


@pytest.fixture
async def second(first: App, app_settings: Settings, tmp_path: Path) -> AsyncIterator[App]:
    # Behind one load balancer both processes have the same public URL (Discord's OAuth redirect goes there).
    settings = app_settings.with_overrides(
        data_dir=tmp_path / "second", sandbox_url=first.base_url, public_url=first.base_url
    )
    async with serving(settings) as app:
        yield app


def address(app: App) -> httpx.URL:
    """Where this process listens (both share the public URL, as behind a load balancer)."""
    assert app.listen_socket is not None
    host, port = app.listen_socket.getsockname()[:2]
    return httpx.URL(f"http://{host}:{port}")


async def test_a_login_on_one_process_works_on_the_other_until_logged_out(
    first: App, second: App, engine: AsyncEngine
) -> None:
    assert first.settings.redis_url is None
    async with await login_as(first.base_url, "alice") as alice:
        session_id = alice.cookies[SESSION_COOKIE]
        on_first = await alice.get("/api/v1/me")
        alice.base_url = address(second)
        on_second = await alice.get("/api/v1/me")
        async with engine.connect() as conn:
            stored = list((await conn.execute(text("SELECT key, value FROM cache_entries"))).all())

        logout = await alice.post("/api/v1/auth/logout")
        alice.cookies.set(SESSION_COOKIE, session_id)
        alice.base_url = httpx.URL(first.base_url)
        after = await alice.get("/api/v1/me")

    assert on_first.status_code == 200
    assert on_second.status_code == 200, on_second.text
    assert on_second.json()["user"]["username"] == "alice"
    assert f"auth:session:{hashlib.sha256(session_id.encode()).hexdigest()}" in {key for key, _ in stored}
    assert not [key for key, value in stored if session_id in key or session_id.encode() in value]
    assert logout.status_code in (200, 204)
    assert after.status_code == 401


async def test_a_login_started_on_one_process_finishes_on_the_other(first: App, second: App) -> None:
    async with httpx.AsyncClient(base_url=first.base_url, timeout=10) as browser:
        start = await browser.get("/api/v1/auth/login")
        authorize = start.headers["location"]
        world = (await browser.get("/sandbox/api/world")).json()
        bob = next(u["id"] for u in world["users"] if u["username"] == "bob")
        picked = await browser.post(authorize, data={"user_id": bob})
        callback = httpx.URL(picked.headers["location"])
        browser.base_url = address(second)
        done = await browser.get(callback.path, params=callback.params)
        me = await browser.get("/api/v1/me")

    assert done.status_code == 302, done.text
    assert me.status_code == 200 and me.json()["user"]["username"] == "bob"
