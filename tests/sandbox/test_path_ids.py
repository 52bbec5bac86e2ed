"""Ids in REST paths are snowflakes: anything else is Discord's 400 Invalid Form Body naming the id, never a
crash, a silent match or Litestar's own 404 (real HTTP against the sandbox)."""

from __future__ import annotations

import httpx
import pytest

from discord_sandbox import oauth_store

from .conftest import BOT_TOKEN, SandboxServer

BOT = {"Authorization": f"Bot {BOT_TOKEN}"}


def not_snowflake(name: str, value: str) -> dict[str, object]:
    return {
        "code": 50035,
        "message": "Invalid Form Body",
        "errors": {
            name: {
                "_errors": [{"code": "NUMBER_TYPE_COERCE", "message": f'Value "{value}" is not snowflake.'}]
            }
        },
    }


@pytest.mark.parametrize(
    ("method", "path", "name", "value"),
    [
        ("GET", "/channels/abc", "channel_id", "abc"),
        ("GET", "/channels/abc/messages", "channel_id", "abc"),
        ("POST", "/channels/-5/messages", "channel_id", "-5"),
        ("GET", "/channels/{general}/messages/xyz", "message_id", "xyz"),
        ("PATCH", "/channels/{general}/messages/1.5", "message_id", "1.5"),
        ("GET", "/guilds/abc/members", "guild_id", "abc"),
        ("GET", "/guilds/{guild}/members/me", "user_id", "me"),
        ("GET", "/users/123456789012345678901234", "user_id", "123456789012345678901234"),
        ("GET", "/applications/abc/commands", "application_id", "abc"),
        ("POST", "/interactions/abc/token/callback", "interaction_id", "abc"),
        ("POST", "/webhooks/abc/token", "webhook_id", "abc"),
        ("GET", "/webhooks/{app}/token/messages/latest", "message_id", "latest"),
    ],
)
async def test_a_path_id_that_is_no_snowflake_is_400_invalid_form_body(
    sandbox_server: SandboxServer, method: str, path: str, name: str, value: str
) -> None:
    ids = sandbox_server.ids()
    filled = path.format(
        general=ids["#general"], guild=ids["Sandbox Guild"], app=sandbox_server.sandbox.state.application.id
    )
    async with httpx.AsyncClient(
        base_url=f"{sandbox_server.base_url}/sandbox/discord/api/v10", headers=BOT
    ) as rest:
        answer = await rest.request(method, filled, json={"content": "hi"} if method != "GET" else None)
    assert (answer.status_code, answer.json()) == (400, not_snowflake(name, value))
    assert sandbox_server.sandbox.unknown_routes == []


async def test_without_the_token_it_is_401_first(sandbox_server: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=f"{sandbox_server.base_url}/sandbox/discord/api/v10") as rest:
        answer = await rest.get("/channels/abc")
    assert answer.status_code == 401


async def test_the_bearer_member_route_checks_its_guild_id_too(sandbox_server: SandboxServer) -> None:
    store = oauth_store(sandbox_server.sandbox)
    code = store.issue_code(
        user_id=sandbox_server.ids()["bob"],
        client_id=sandbox_server.sandbox.client_id,
        redirect_uri="http://app/callback",
        scope="identify guilds.members.read",
    )
    grant = store.redeem_code(
        code=code, client_id=sandbox_server.sandbox.client_id, redirect_uri="http://app/callback"
    )
    assert not isinstance(grant, str)
    async with httpx.AsyncClient(base_url=f"{sandbox_server.base_url}/sandbox/discord/api/v10") as rest:
        answer = await rest.get(
            "/users/@me/guilds/abc/member", headers={"Authorization": f"Bearer {grant.access_token}"}
        )
    assert (answer.status_code, answer.json()) == (400, not_snowflake("guild_id", "abc"))
