"""Sessions in Redis (GAMESCHED_REDIS_URL): the same login, stored under hashed keys with a 24 h TTL."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from tests.conftest import serving
from tests.login import login_as


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client: Redis = Redis.from_url(redis_url)
    for _ in range(200):
        try:
            await client.ping()
            break
        except RedisConnectionError:
            await asyncio.sleep(0.02)
    yield client
    await client.aclose()


async def test_sessions_live_in_redis_under_hashed_keys(
    app_settings: Settings, redis_url: str, redis: Redis, clock: FakeClock
) -> None:
    settings = app_settings.with_overrides(sandbox=True, redis_url=redis_url)
    async with serving(settings, clock=clock) as app, await login_as(app.base_url, "alice") as alice:
        session_id = alice.cookies["gamesched_session"]
        key = f"gamesched:auth:session:{hashlib.sha256(session_id.encode()).hexdigest()}"

        stored = await redis.get(key)
        ttl = await redis.ttl(key)
        me = await alice.get("/api/v1/me")
        await alice.post("/api/v1/auth/logout")

        assert stored is not None and session_id.encode() not in stored
        assert 23 * 3600 < ttl <= 24 * 3600
        assert me.status_code == 200 and me.json()["user"]["username"] == "alice"
        assert await redis.exists(key) == 0
        assert not [k async for k in redis.scan_iter(match=f"*{session_id}*")]
