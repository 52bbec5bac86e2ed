"""GAMESCHED_ROLES: one deployment split into a web-only process and a bot-and-worker process without HTTP,
next to a full one that serves the sandbox Discord. No Redis: they share only the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gamesched.app import App
from gamesched.core.config import Settings
from tests.conftest import serving, wait_for_discord
from tests.login import login_as


@pytest.fixture
async def full(app_settings: Settings) -> AsyncIterator[App]:
    async with serving(app_settings.with_overrides(sandbox=True)) as app:
        await wait_for_discord(app)
        yield app


def _settings(full: App, app_settings: Settings, tmp_path: Path, name: str, roles: set[str]) -> Settings:
    return app_settings.with_overrides(
        data_dir=tmp_path / name, sandbox_url=full.base_url, public_url=full.base_url, roles=frozenset(roles)
    )


async def _gateway_sessions(full: App) -> int:
    async with httpx.AsyncClient(base_url=f"{full.base_url}/sandbox/api") as api:
        return sum(s["connected"] for s in (await api.get("/gateway")).json())


async def test_a_web_only_process_serves_logins_and_pages_without_a_bot_or_dispatcher(
    full: App, app_settings: Settings, tmp_path: Path
) -> None:
    # A web replica next to others on one PostgreSQL keeps a smaller pool (GAMESCHED_DATABASE_POOL_SIZE).
    web_settings = _settings(full, app_settings, tmp_path, "web", {"web"}).with_overrides(
        database_pool_size=4
    )
    async with serving(web_settings) as web:
        assert web.db.engine.pool.size() == 4  # type: ignore[attr-defined]
        assert web.listen_socket is not None
        host, port = web.listen_socket.getsockname()[:2]
        async with await login_as(full.base_url, "alice") as alice:
            alice.base_url = httpx.URL(f"http://{host}:{port}")
            me = await alice.get("/api/v1/me")
            health = (await alice.get("/health")).json()
            page = await alice.get("/", headers={"accept": "text/html"})

        assert web.discord.bot is None
        assert not web.dispatcher.listening
        assert me.status_code == 200 and me.json()["user"]["username"] == "alice"
        assert (health["status"], health["discord"], health["queue"]) == ("ok", "disabled", "off")
        assert page.status_code == 200
        assert await _gateway_sessions(full) == 1, "only the full process is connected to Discord"


async def test_a_bot_and_worker_process_connects_and_runs_jobs_without_serving_http(
    full: App, app_settings: Settings, tmp_path: Path
) -> None:
    settings = _settings(full, app_settings, tmp_path, "bot", {"bot", "worker"})
    async with serving(settings) as bot:
        await wait_for_discord(bot)
        assert bot.listen_socket is None
        assert bot.dispatcher.listening
        assert await _gateway_sessions(full) == 2
