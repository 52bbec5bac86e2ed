"""Routes the sandbox lacks answer like Discord and are recorded; answers are checked against Discord's spec."""

from __future__ import annotations

import discord
import httpx
import pytest
import structlog
from discord import app_commands

from discord_sandbox import Exchange
from tests.conformance import Conformance

from .conftest import SandboxServer, StartClient

BOT = {"Authorization": "Bot sandbox-bot-token"}


@pytest.mark.allow_unknown_routes
async def test_an_unknown_route_answers_discords_404_and_is_recorded_loudly(
    sandbox_server: SandboxServer,
) -> None:
    channel = sandbox_server.ids()["#general"]
    api = f"{sandbox_server.base_url}/sandbox/discord/api/v10"
    with structlog.testing.capture_logs() as logs:
        async with httpx.AsyncClient(base_url=api, headers=BOT) as rest:
            pins = await rest.get(f"/channels/{channel}/pins")  # a path the sandbox does not serve
            close = await rest.delete(f"/channels/{channel}")  # a method it does not serve on a known path
            known = await rest.get(f"/channels/{channel}")

    for answer in (pins, close):
        assert (answer.status_code, answer.json()) == (404, {"message": "404: Not Found", "code": 0})
    assert known.status_code == 200
    recorded = (await sandbox_server.api.get("/unknown-routes")).json()
    assert [(r["method"], r["path"]) for r in recorded] == [
        ("GET", f"/channels/{channel}/pins"),
        ("DELETE", f"/channels/{channel}"),
    ]
    warned = [e for e in logs if e["event"] == "sandbox_unknown_route"]
    assert [(e["log_level"], e["method"]) for e in warned] == [("warning", "GET"), ("warning", "DELETE")]
    await sandbox_server.api.post("/reset")
    assert (await sandbox_server.api.get("/unknown-routes")).json() == []


def test_the_check_fails_answers_unlike_discords_spec() -> None:
    conformance = Conformance.load()
    if conformance.spec is None:
        pytest.skip(conformance.skip_reason or "no spec")

    conformance.record(Exchange("GET", "/channels/1/messages/2", 200, {"id": "2", "content": "no author"}))
    conformance.record(
        Exchange("POST", "/channels/1/messages", 400, {"code": 50035, "message": "Invalid Form Body"})
    )
    conformance.record(Exchange("GET", "/users/@me", 404, {"message": "404: Not Found", "code": 0}))
    conformance.record(Exchange("DELETE", "/channels/1/messages/2", 204, {"unexpected": True}))
    conformance.record(Exchange("GET", "/nowhere", 404, None, unknown_route=True))

    assert len(conformance.problems) >= 2
    assert any(
        "/channels/{channel_id}/messages/{message_id}" in p and "required" in p for p in conformance.problems
    )
    assert any("a body where Discord sends none" in p for p in conformance.problems)
    assert not any("/users/@me" in p or "-> 400" in p for p in conformance.problems)
    assert conformance.unknown_routes == ["GET /nowhere"]
    assert ("GET", "/users/@me") in conformance.routes and conformance.validated == 4


async def _ping(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("pong")


async def test_the_calls_a_bot_makes_are_served_in_discords_shape(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    """The bot's common calls beyond the product flows; the session's check fails any unknown route or
    non-conforming answer among them."""
    client = await start_client()
    ids = sandbox_server.ids()
    guild = client.get_guild(ids["Sandbox Guild"])
    channel = client.get_channel(ids["#general"])
    assert isinstance(guild, discord.Guild) and isinstance(channel, discord.TextChannel)

    channels = await guild.fetch_channels()
    roles = await guild.fetch_roles()
    await channel.send("one")
    async with channel.typing():
        pass
    history = [m.content async for m in channel.history(limit=5)]
    bob = await client.fetch_user(ids["bob"])
    info = await client.application_info()
    gateway = await client.http.get_bot_gateway()
    tree = app_commands.CommandTree(client)
    tree.add_command(app_commands.Command(name="ping", description="Ping", callback=_ping))
    [synced] = await tree.sync()
    listed = await tree.fetch_commands()
    one = await tree.fetch_command(synced.id)
    edited = await synced.edit(description="Ping me")
    await edited.delete()
    await guild.leave()

    assert {"general", "rpg"} <= {c.name for c in channels} and "Player" in {r.name for r in roles}
    assert history == ["one"] and bob.name == "bob" and info.id == sandbox_server.sandbox.state.application.id
    assert gateway[0] == 1 and gateway[1].endswith("/sandbox/discord/gateway")  # shards, url
    assert [c.name for c in listed] == ["ping"] and one.id == synced.id and edited.description == "Ping me"
    assert await tree.fetch_commands() == []
