"""The bot token on Discord REST: only `Authorization: Bot <the bot's token>` opens the bot's routes; bearer
routes and the interaction-token routes authenticate their own way (real HTTP, real discord.py client)."""

from __future__ import annotations

import discord
import httpx
import pytest

from discord_sandbox.interactions.drafts import component_draft

from .conftest import BOT_TOKEN, SandboxServer

UNAUTHORIZED = {"message": "401: Unauthorized", "code": 0}


@pytest.mark.parametrize(
    "authorization",
    ["", "Bot", "Bot not-the-token", f"Bearer {BOT_TOKEN}", BOT_TOKEN, f"bot {BOT_TOKEN}"],
)
async def test_a_bot_route_without_the_bots_token_is_401(
    sandbox_server: SandboxServer, authorization: str
) -> None:
    ids = sandbox_server.ids()
    async with httpx.AsyncClient(base_url=f"{sandbox_server.base_url}/sandbox/discord/api/v10") as rest:
        headers = {"Authorization": authorization}
        answers = [
            await rest.get("/users/@me", headers=headers),
            await rest.get(f"/channels/{ids['#general']}", headers=headers),
            await rest.post(f"/channels/{ids['#general']}/messages", json={"content": "hi"}, headers=headers),
        ]
    assert [(a.status_code, a.json()) for a in answers] == [(401, UNAUTHORIZED)] * 3
    assert sandbox_server.sandbox.state.messages_in(ids["#general"]) == []


async def test_the_bots_token_opens_them(sandbox_server: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=f"{sandbox_server.base_url}/sandbox/discord/api/v10") as rest:
        me = await rest.get("/users/@me", headers={"Authorization": f"Bot {BOT_TOKEN}"})
    assert me.status_code == 200 and me.json()["bot"] is True


async def test_the_real_client_with_a_wrong_token_fails_to_log_in(sandbox_server: SandboxServer) -> None:
    client = discord.Client(intents=discord.Intents.none())
    try:
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
    finally:
        await client.close()


async def test_interaction_callbacks_and_webhooks_need_no_bot_token(sandbox_server: SandboxServer) -> None:
    sandbox, ids = sandbox_server.sandbox, sandbox_server.ids()
    row = {"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": "go"}]}
    clicked = sandbox.create_message(ids["#general"], ids["gamesched"], {"content": "x", "components": [row]})
    draft = component_draft(
        sandbox.state,
        {
            "user_id": str(ids["bob"]),
            "channel_id": str(ids["#general"]),
            "message_id": str(clicked.id),
            "custom_id": "go",
        },
    )
    pending = sandbox.interactions.start(draft)
    app = sandbox.state.application.id
    async with httpx.AsyncClient(base_url=f"{sandbox_server.base_url}/sandbox/discord/api/v10") as rest:
        callback = await rest.post(
            f"/interactions/{pending.id}/{pending.token}/callback",
            json={"type": 4, "data": {"content": "ok", "flags": 64}},
        )
        followup = await rest.post(f"/webhooks/{app}/{pending.token}", json={"content": "more", "flags": 64})
        wrong_token = await rest.post(f"/webhooks/{app}/sandbox-nope", json={"content": "x"})

    assert (callback.status_code, followup.status_code) == (204, 204)
    assert (wrong_token.status_code, wrong_token.json()["code"]) == (401, 50027)
