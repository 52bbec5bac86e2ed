"""Sharding as Discord does it: IDENTIFY with ``shard: [id, count]``, a guild's events only on the shard
``(guild_id >> 22) % count``, DMs on shard 0, GET /gateway/bot's recommended count and session start limit,
and the close codes for a bad shard (4010) or too few shards (4011). Real discord.py clients and raw sockets."""

from __future__ import annotations

from typing import Any

import discord
import httpx

from discord_sandbox.gateway.sessions import shard_of

from .conftest import BOT_TOKEN, RecordingClient, SandboxServer, StartClient, client_intents, eventually
from .test_gateway_rules import close_code, frames_until, gateway, identify, send


class ShardClient(RecordingClient):
    """Answers every interaction with the shard it arrived on."""

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"shard {self.shard_id}")


class AutoShardedRecordingClient(RecordingClient, discord.AutoShardedClient):
    pass


async def _guild_on(server: SandboxServer, name: str, shard: list[int]) -> dict[str, Any]:
    owner = server.ids()["alice"]
    made = await server.api.post(
        "/guilds", json={"name": name, "owner_id": owner, "bot": True, "shard": shard}
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


async def _start_shard(start_client: StartClient, shard_id: int, count: int) -> ShardClient:
    client = ShardClient(
        intents=client_intents(), guild_ready_timeout=0.1, shard_id=shard_id, shard_count=count
    )
    started: ShardClient = await start_client(client)
    return started


async def test_each_shard_gets_only_its_guilds_and_their_events(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    first = await _guild_on(sandbox_server, "On shard 0", [0, 2])
    second = await _guild_on(sandbox_server, "On shard 1", [1, 2])
    assert shard_of(int(first["id"]), 2) == 0 and shard_of(int(second["id"]), 2) == 1
    bot_guilds = {g.id for g in sandbox_server.sandbox.state.bot_guilds()}

    shard0 = await _start_shard(start_client, 0, 2)
    shard1 = await _start_shard(start_client, 1, 2)

    assert {g.id for g in shard0.guilds} == {g for g in bot_guilds if shard_of(g, 2) == 0}
    assert {g.id for g in shard1.guilds} == {g for g in bot_guilds if shard_of(g, 2) == 1}
    assert int(first["id"]) in {g.id for g in shard0.guilds}
    assert int(second["id"]) in {g.id for g in shard1.guilds}

    # A message in the second guild reaches shard 1 only, whichever shard's client sent it over REST.
    channel_id = next(c.id for c in shard1.get_guild(int(second["id"])).text_channels)
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="Pick", custom_id="pick"))
    sent = await shard0.get_partial_messageable(channel_id).send("hello shard 1", view=view)
    await eventually(lambda: any(m.id == sent.id for (m,) in shard1.seen("message")))
    assert not any(m.id == sent.id for (m,) in shard0.seen("message"))

    # A click in that guild is answered by shard 1 (Discord sends it there alone).
    clicked = await sandbox_server.api.post(
        "/interactions",
        json={
            "type": "component",
            "user_id": str(sandbox_server.ids()["alice"]),
            "channel_id": str(channel_id),
            "message_id": str(sent.id),
            "custom_id": "pick",
        },
    )
    assert clicked.status_code == 200, clicked.text
    assert clicked.json()["response"]["data"]["content"] == "shard 1"
    assert not shard0.seen("interaction")

    # The bot joins a new guild on shard 0: its GUILD_CREATE goes to shard 0 alone.
    third = await _guild_on(sandbox_server, "Joined later", [0, 2])
    await eventually(lambda: shard0.get_guild(int(third["id"])) is not None)
    assert shard1.get_guild(int(third["id"])) is None


async def test_direct_messages_go_to_shard_zero(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    shard0 = await _start_shard(start_client, 0, 2)
    shard1 = await _start_shard(start_client, 1, 2)
    user = await shard1.fetch_user(sandbox_server.ids()["bob"])

    sent = await user.send("a DM")

    await eventually(lambda: any(m.id == sent.id for (m,) in shard0.seen("message")))
    assert not any(m.id == sent.id for (m,) in shard1.seen("message"))


async def test_gateway_bot_recommends_the_configured_shards_and_counts_session_starts(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    headers = {"Authorization": f"Bot {BOT_TOKEN}"}
    async with httpx.AsyncClient(base_url=f"{sandbox_server.base_url}/sandbox/discord/api/v10") as rest:
        before = (await rest.get("/gateway/bot", headers=headers)).json()
        assert before["shards"] == 1
        assert before["session_start_limit"] == {
            "total": 1000,
            "remaining": 1000,
            "reset_after": 0,
            "max_concurrency": 1,
        }
        changed = await sandbox_server.api.post("/gateway", json={"shards": 2, "max_concurrency": 4})
        assert changed.json()["shards"] == 2 and changed.json()["max_concurrency"] == 4
        bad = await sandbox_server.api.post("/gateway", json={"shards": 0})
        assert bad.status_code == 400 and bad.json()["field"] == "shards"

        # discord.py's auto-sharding asks GET /gateway/bot how many shards, and connects them all.
        client = AutoShardedRecordingClient(intents=client_intents(), guild_ready_timeout=0.1)
        await start_client(client)
        assert client.shard_count == 2 and sorted(client.shards) == [0, 1]
        assert {g.id for g in client.guilds} == {g.id for g in sandbox_server.sandbox.state.bot_guilds()}

        after = (await rest.get("/gateway/bot", headers=headers)).json()
        assert after["shards"] == 2
        limit = after["session_start_limit"]
        assert limit["remaining"] == 998 and limit["max_concurrency"] == 4
        assert 0 < limit["reset_after"] <= 86_400_000


async def test_an_invalid_shard_is_closed_with_4010(sandbox_server: SandboxServer) -> None:
    for shard in ([2, 2], [0, 0], [-1, 2], [1], "0,2", [0, True]):
        async with gateway(sandbox_server) as socket:
            await send(socket, 2, {**identify(), "shard": shard})
            assert await close_code(socket) == 4010, shard


async def test_too_few_shards_are_closed_with_4011_when_discord_requires_sharding(
    sandbox_server: SandboxServer,
) -> None:
    await sandbox_server.api.post("/gateway", json={"shards": 2, "require_sharding": True})
    for shard in (None, [0, 1]):
        async with gateway(sandbox_server) as socket:
            await send(socket, 2, {**identify(), **({"shard": shard} if shard else {})})
            assert await close_code(socket) == 4011, shard
    for shard in ([1, 2], [3, 4]):  # the required count, or more, is fine
        async with gateway(sandbox_server) as socket:
            await send(socket, 2, {**identify(), "shard": shard})
            ready = await frames_until(socket, 0)
            assert ready["t"] == "READY" and ready["d"]["shard"] == shard
