"""Discord's limits beyond the route buckets: the global 50 requests per second of the bot token, and the
invalid-request count after which Cloudflare blocks the client — on the sandbox's clock, with the real
discord.py client waiting out a global 429 (real HTTP, no sleeping)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import discord
import httpx
import pytest

from discord_sandbox import Exchange, observe
from discord_sandbox.interactions.drafts import component_draft

from .conftest import BOT_TOKEN, SandboxServer, StartClient

BOT = {"Authorization": f"Bot {BOT_TOKEN}"}


class Clock:
    """The sandbox's rate limit clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(sandbox_server: SandboxServer) -> Iterator[Clock]:
    clock = Clock()
    sandbox_server.sandbox.limiter.clock = clock
    yield clock


@pytest.fixture
async def rest(sandbox_server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=f"{sandbox_server.base_url}/sandbox/discord/api/v10", headers=BOT
    ) as client:
        yield client


async def test_the_bots_51st_request_in_a_second_is_a_global_429(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient, clock: Clock
) -> None:
    answers = [await rest.get("/users/@me") for _ in range(50)]
    clock.now += 0.75
    limited = await rest.get(f"/channels/{sandbox_server.ids()['#general']}")  # another route: still global
    seen = (await sandbox_server.api.get("/rate-limits")).json()
    clock.now += 0.25
    next_second = await rest.get("/users/@me")

    assert {a.status_code for a in answers} == {200}
    assert limited.status_code == 429
    assert limited.json() == {
        "message": "You are being rate limited.",
        "retry_after": 0.25,
        "global": True,
        "code": 0,
    }
    assert (
        limited.headers["x-ratelimit-global"] == "true" and limited.headers["x-ratelimit-scope"] == "global"
    )
    assert limited.headers["retry-after"] == "1" and "x-ratelimit-limit" not in limited.headers
    assert seen["global"] == {"limit": 50, "per_seconds": 1.0, "count": 50, "window_reset_after": 0.25}
    assert seen["invalid_requests"]["count"] == 1  # the global 429 counts toward the ban
    assert next_second.status_code == 200


async def test_interaction_callbacks_and_webhooks_are_not_bound_by_it(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient, clock: Clock
) -> None:
    sandbox, ids = sandbox_server.sandbox, sandbox_server.ids()
    row = {"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": "go"}]}
    clicked = sandbox.create_message(ids["#general"], ids["gamesched"], {"content": "x", "components": [row]})
    pending = sandbox.interactions.start(
        component_draft(
            sandbox.state,
            {
                "user_id": str(ids["bob"]),
                "channel_id": str(ids["#general"]),
                "message_id": str(clicked.id),
                "custom_id": "go",
            },
        )
    )
    await sandbox_server.api.patch("/rate-limits", json={"global": {"limit": 2}})
    assert [(await rest.get("/users/@me")).status_code for _ in range(3)] == [200, 200, 429]

    app = sandbox.state.application.id
    callback = await rest.post(
        f"/interactions/{pending.id}/{pending.token}/callback", json={"type": 4, "data": {"content": "ok"}}
    )
    followup = await rest.post(f"/webhooks/{app}/{pending.token}", json={"content": "more"})
    edit = await rest.patch(f"/webhooks/{app}/{pending.token}/messages/@original", json={"content": "edited"})
    assert (callback.status_code, followup.status_code, edit.status_code) == (204, 204, 200)


async def test_discord_py_waits_out_a_global_429_and_retries(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()
    clock = Clock()
    sandbox_server.sandbox.limiter.clock = clock
    await sandbox_server.api.patch("/rate-limits", json={"global": {"limit": 3}})
    general = sandbox_server.ids()["#general"]
    globals_answered: list[Exchange] = []

    def window_passes_after_a_global_429(exchange: Exchange) -> None:
        if exchange.status == 429 and isinstance(exchange.body, dict) and exchange.body.get("global"):
            globals_answered.append(exchange)
            clock.now += 1.0  # discord.py sleeps retry_after (0.05 s) before it asks again

    stop = observe(window_passes_after_a_global_429)
    try:
        for _ in range(3):
            await client.fetch_channel(general)
        clock.now += 0.95
        channel = await client.fetch_channel(general)
    finally:
        stop()

    assert channel.id == general
    assert [(e.path, e.body["retry_after"]) for e in globals_answered] == [(f"/channels/{general}", 0.05)]
    statuses = [c["status"] for c in (await sandbox_server.api.get("/log")).json()[-2:]]
    assert statuses == [429, 200]
    assert client.http._global_over.is_set()  # discord.py let its other requests go again


async def test_too_many_invalid_requests_block_the_client_until_the_window_passes(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient, start_client: StartClient
) -> None:
    client = await start_client()
    clock = Clock()
    sandbox_server.sandbox.limiter.clock = clock
    api = sandbox_server.api
    await api.patch("/rate-limits", json={"invalid_requests": {"limit": 4, "per_seconds": 60}})
    general = sandbox_server.ids()["#general"]

    await api.post("/faults", json={"rest_429": 1})
    shared = await rest.get("/users/@me")  # a 429 of scope shared is not the client's fault: not counted
    wrong_token = [await rest.get("/users/@me", headers={"Authorization": "Bot wrong"}) for _ in range(3)]
    denied = await rest.get("/guilds/1")  # 404: not counted
    await api.patch("/rate-limits", json={"global": {"limit": 1}})
    clock.now += 1  # a new second for the global limit; the invalid requests' window runs on
    ok, over_global = await rest.get("/users/@me"), await rest.get("/users/@me")  # the fourth invalid one
    blocked = await rest.get("/users/@me")
    with pytest.raises(discord.HTTPException) as refused:
        await client.fetch_channel(general)
    seen = (await api.get("/rate-limits")).json()["invalid_requests"]
    clock.now += 60
    await api.patch("/rate-limits", json={"global": {"limit": 50}})
    after = await rest.get("/users/@me")

    assert shared.status_code == 429 and [a.status_code for a in wrong_token] == [401] * 3
    assert (denied.status_code, ok.status_code, over_global.status_code) == (404, 200, 429)
    assert blocked.status_code == 429 and "via" not in blocked.headers
    assert blocked.headers["content-type"].startswith("text/plain")
    assert blocked.text.startswith("error code: 1015") and "4 invalid requests" in blocked.text
    assert blocked.headers["retry-after"] == "59"
    assert refused.value.status == 429  # discord.py does not retry a ban: it raises at once
    assert seen == {
        "limit": 4,
        "per_seconds": 60.0,
        "count": 4,
        "window_reset_after": 59.0,
        "blocked_for": 59.0,
    }
    assert after.status_code == 200


async def test_the_limits_are_switched_like_the_route_buckets(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient, clock: Clock
) -> None:
    api = sandbox_server.api
    await api.patch("/rate-limits", json={"global": {"limit": 1}, "invalid_requests": {"limit": 1}})

    switched = (
        await api.post("/faults", json={"global_rate_limit": False, "invalid_request_ban": False})
    ).json()
    unlimited = [
        (await rest.get("/users/@me", headers={"Authorization": h})).status_code
        for h in ("Bot x", *[BOT["Authorization"]] * 3)
    ]
    await api.post(
        "/faults", json={"global_rate_limit": True, "invalid_request_ban": True, "rate_limits": False}
    )
    all_off = [(await rest.get("/users/@me")).status_code for _ in range(3)]
    await api.post("/faults", json={"rate_limits": True})
    back_on = [(await rest.get("/users/@me")).status_code for _ in range(3)]

    assert switched["global_rate_limit"] is False and switched["invalid_request_ban"] is False
    assert (await api.get("/faults")).json()["rate_limits"] is True
    assert unlimited == [401, 200, 200, 200] and all_off == [200, 200, 200]
    assert back_on[:2] == [200, 429]  # the global 429 is the first invalid request: the next one is blocked
    assert back_on[2] == 429
