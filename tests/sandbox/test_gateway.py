"""The gateway as discord.py sees it: READY, guild caches, compression, member events, RESUME."""

from __future__ import annotations

import asyncio
import zlib

import discord
import discord.utils
import pytest

from .conftest import RecordingClient, SandboxServer, StartClient, eventually


async def test_login_sees_the_default_world(sandbox_server: SandboxServer, start_client: StartClient) -> None:
    client = await start_client()

    assert client.user is not None and client.user.name == "gamesched" and client.user.bot
    guild = discord.utils.get(client.guilds, name="Sandbox Guild")
    assert guild is not None and {g.name for g in client.guilds} == {"Sandbox Guild", "Other Guild"}
    assert {"general", "board-games", "rpg", "archive"} <= {c.name for c in guild.text_channels}
    assert {"Game Host", "Player", "@everyone"} <= {r.name for r in guild.roles}
    assert guild.owner_id == sandbox_server.ids()["alice"]
    assert guild.member_count == len(sandbox_server.sandbox.state.guilds[guild.id].members)


class _ZlibStream:
    """discord.py's zlib-stream decoder, which it only defines when zstd is unavailable."""

    COMPRESSION_TYPE = "zlib-stream"

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.context = zlib.decompressobj()

    def decompress(self, data: bytes, /) -> str | None:
        self.buffer.extend(data)
        if len(data) < 4 or data[-4:] != b"\x00\x00\xff\xff":
            return None
        message = self.context.decompress(self.buffer)
        self.buffer = bytearray()
        return message.decode("utf-8")


@pytest.mark.parametrize("compression", ["zlib-stream", "zstd-stream"])
async def test_gateway_compression(
    compression: str,
    sandbox_server: SandboxServer,
    start_client: StartClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if compression == "zlib-stream":
        monkeypatch.setattr(discord.utils, "_ActiveDecompressionContext", _ZlibStream)
    else:
        assert discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE == "zstd-stream"

    client = await start_client()

    sessions = (await sandbox_server.api.get("/gateway")).json()
    assert [s["compress"] for s in sessions] == [compression]
    assert len(client.guilds) == 2


async def test_member_events_need_the_members_intent(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    ids = sandbox_server.ids()
    with_intent = await start_client(members=True)
    without_intent = await start_client(members=False)

    def joined(client: RecordingClient) -> list[int]:
        return [member.id for (member,) in client.seen("member_join")]

    def left(client: RecordingClient) -> list[int]:
        return [member.id for (member,) in client.seen("member_remove")]

    user = (await sandbox_server.api.post("/users", json={"username": "zoe", "global_name": "Zoe"})).json()
    guild_id = ids["Sandbox Guild"]
    put = await sandbox_server.api.put(f"/guilds/{guild_id}/members/{user['id']}", json={"nick": "Z"})
    assert put.status_code == 200 and put.json()["joined"] is True
    await eventually(lambda: joined(with_intent) == [int(user["id"])])
    member = with_intent.get_guild(guild_id).get_member(int(user["id"]))
    assert member is not None and member.display_name == "Z"

    assert (await sandbox_server.api.delete(f"/guilds/{guild_id}/members/{user['id']}")).status_code == 204
    await eventually(lambda: left(with_intent) == [int(user["id"])])
    await asyncio.sleep(0.1)
    assert joined(without_intent) == [] and left(without_intent) == []


async def test_resume_after_disconnect_replays_missed_events(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client(members=True)
    ids = sandbox_server.ids()
    ready_before = len(client.seen("ready"))

    faults = await sandbox_server.api.post("/faults", json={"disconnect_gateway": True})
    assert faults.json()["disconnected"] == 1
    names = [f"late{i}" for i in range(3)]
    for name in names:
        user = (await sandbox_server.api.post("/users", json={"username": name})).json()
        await sandbox_server.api.put(f"/guilds/{ids['Sandbox Guild']}/members/{user['id']}", json={})

    await eventually(lambda: [m.name for (m,) in client.seen("member_join")] == names)
    assert len(client.seen("resumed")) == 1
    assert len(client.seen("ready")) == ready_before  # resumed, not identified again
    sessions = (await sandbox_server.api.get("/gateway")).json()
    assert len(sessions) == 1 and sessions[0]["connected"]


async def test_member_chunks_answer_queries(sandbox_server: SandboxServer, start_client: StartClient) -> None:
    client = await start_client(members=False)
    guild = client.get_guild(sandbox_server.ids()["Sandbox Guild"])
    assert guild is not None

    found = await guild.query_members("car")

    assert [m.name for m in found] == ["carol"]


async def test_bot_joining_a_guild_gets_guild_create(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()
    other = sandbox_server.ids()["Other Guild"]
    bot_id = sandbox_server.sandbox.state.application.bot_user_id

    await sandbox_server.api.delete(f"/guilds/{other}/members/{bot_id}")
    await eventually(lambda: client.get_guild(other) is None)
    await sandbox_server.api.put(f"/guilds/{other}/members/{bot_id}", json={})
    await eventually(lambda: client.get_guild(other) is not None)
    assert client.get_guild(other).name == "Other Guild"


async def test_user_messages_hide_content_without_the_intent(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()
    ids = sandbox_server.ids()
    where = f"/channels/{ids['#general']}/messages"

    await sandbox_server.api.post(where, json={"user_id": str(ids["bob"]), "content": "anyone up for chess?"})
    await sandbox_server.api.post(
        where, json={"user_id": str(ids["bob"]), "content": f"<@{client.user.id}> help"}
    )

    await eventually(lambda: len(client.seen("message")) == 2)
    assert [m.content for (m,) in client.seen("message")] == ["", f"<@{client.user.id}> help"]


async def test_channel_and_role_events_reach_the_cache(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()
    guild_id = sandbox_server.ids()["Sandbox Guild"]

    channel = (
        await sandbox_server.api.post(f"/guilds/{guild_id}/channels", json={"name": "lfg", "type": 0})
    ).json()
    role = (
        await sandbox_server.api.post(f"/guilds/{guild_id}/roles", json={"name": "Referee", "permissions": 0})
    ).json()

    guild = client.get_guild(guild_id)
    await eventually(
        lambda: guild.get_channel(int(channel["id"])) is not None and guild.get_role(int(role["id"]))
    )
    await sandbox_server.api.patch(f"/guilds/{guild_id}/channels/{channel['id']}", json={"name": "lfg-2"})
    await eventually(lambda: guild.get_channel(int(channel["id"])).name == "lfg-2")
    await sandbox_server.api.delete(f"/guilds/{guild_id}/roles/{role['id']}")
    await eventually(lambda: guild.get_role(int(role["id"])) is None)


async def test_reconnect_request_resumes_the_session(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()

    await sandbox_server.api.post("/faults", json={"reconnect_gateway": True})

    await eventually(lambda: len(client.seen("resumed")) == 1)
    assert len(client.seen("ready")) == 1


async def test_reset_invalidates_the_session_and_the_bot_identifies_again(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()
    guild_id = sandbox_server.ids()["Sandbox Guild"]
    channel = (await sandbox_server.api.post(f"/guilds/{guild_id}/channels", json={"name": "temp"})).json()
    await eventually(lambda: client.get_channel(int(channel["id"])) is not None)

    await sandbox_server.api.post("/reset")

    await eventually(lambda: len(client.seen("ready")) == 2)
    assert client.get_channel(int(channel["id"])) is None
    assert {g.name for g in client.guilds} == {"Sandbox Guild", "Other Guild"}
