"""The gateway's rules, as Discord enforces them: the token, valid and allowed intents, heartbeats, and how
long a session can be resumed. A raw websocket client shows the close codes; discord.py shows recovery."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import discord
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from discord_sandbox.gateway.events import INTENT_GUILD_MEMBERS, INTENT_GUILDS

from .conftest import RecordingClient, SandboxServer, StartClient, client_intents, eventually

TOKEN = "sandbox-bot-token"


@asynccontextmanager
async def gateway(server: SandboxServer) -> AsyncIterator[ClientConnection]:
    url = server.base_url.replace("http://", "ws://") + "/sandbox/discord/gateway?v=10&encoding=json"
    async with connect(url) as socket:
        hello = json.loads(await socket.recv())
        assert hello["op"] == 10
        yield socket


async def send(socket: ClientConnection, op: int, data: Any) -> None:
    await socket.send(json.dumps({"op": op, "d": data}))


async def close_code(socket: ClientConnection) -> int:
    """Read until the server closes; the close code it sent."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await socket.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def frames_until(socket: ClientConnection, op: int) -> dict[str, Any]:
    while True:
        frame = json.loads(await socket.recv())
        if frame["op"] == op:
            return frame


def identify(token: str = TOKEN, intents: int = INTENT_GUILDS) -> dict[str, Any]:
    return {"token": token, "intents": intents, "properties": {"os": "linux", "browser": "t", "device": "t"}}


async def test_a_wrong_token_is_refused_on_identify_and_on_resume(sandbox_server: SandboxServer) -> None:
    async with gateway(sandbox_server) as socket:
        await send(socket, 2, identify(token="not-the-token"))
        assert await close_code(socket) == 4004
    async with gateway(sandbox_server) as socket:
        await send(socket, 2, identify())
        ready = await frames_until(socket, 0)
        session_id = ready["d"]["session_id"]
    async with gateway(sandbox_server) as socket:
        await send(socket, 6, {"token": "not-the-token", "session_id": session_id, "seq": 1})
        assert await close_code(socket) == 4004


async def test_unknown_intent_bits_close_with_4013(sandbox_server: SandboxServer) -> None:
    async with gateway(sandbox_server) as socket:
        await send(socket, 2, identify(intents=INTENT_GUILDS | 1 << 18))
        assert await close_code(socket) == 4013


async def test_privileged_intents_the_application_lacks_close_with_4014(
    sandbox_server: SandboxServer,
) -> None:
    switched = await sandbox_server.api.patch(
        "/application", json={"privileged_intents": ["message_content"]}
    )
    assert switched.json()["privileged_intents"] == ["message_content"]
    async with gateway(sandbox_server) as socket:
        await send(socket, 2, identify(intents=INTENT_GUILDS | INTENT_GUILD_MEMBERS))
        assert await close_code(socket) == 4014
    bad = await sandbox_server.api.patch("/application", json={"privileged_intents": ["everything"]})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_privileged_intents"


async def test_discord_py_raises_privileged_intents_required(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    await sandbox_server.api.patch("/application", json={"privileged_intents": []})
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await start_client(members=True)


async def test_a_client_that_stops_heartbeating_is_closed_with_4009_and_cannot_resume(
    sandbox_server: SandboxServer,
) -> None:
    await sandbox_server.api.post("/gateway", json={"heartbeat_interval_ms": 200})
    async with gateway(sandbox_server) as socket:
        await send(socket, 2, identify())
        session_id = (await frames_until(socket, 0))["d"]["session_id"]
        assert await close_code(socket) == 4009  # no heartbeat within 1.5 intervals
    async with gateway(sandbox_server) as socket:
        await send(socket, 6, {"token": TOKEN, "session_id": session_id, "seq": 1})
        assert (await frames_until(socket, 9))["d"] is False


async def test_a_session_closed_normally_or_gone_too_long_cannot_be_resumed(
    sandbox_server: SandboxServer,
) -> None:
    async with gateway(sandbox_server) as socket:
        await send(socket, 2, identify())
        closed_normally = (await frames_until(socket, 0))["d"]["session_id"]
        await socket.close(code=1000)
    await sandbox_server.api.post("/gateway", json={"resume_window_seconds": 0})
    async with gateway(sandbox_server) as socket:
        await send(socket, 2, identify())
        expired = (await frames_until(socket, 0))["d"]["session_id"]
        await socket.close(code=4000)  # a resumable close, but the window is zero
    for session_id in (closed_normally, expired):
        async with gateway(sandbox_server) as socket:
            await send(socket, 6, {"token": TOKEN, "session_id": session_id, "seq": 1})
            assert (await frames_until(socket, 9))["d"] is False, session_id


async def test_the_server_can_ask_for_a_heartbeat_and_acks_can_be_withheld(
    sandbox_server: SandboxServer,
) -> None:
    async with gateway(sandbox_server) as socket:
        await send(socket, 2, identify())
        await frames_until(socket, 0)
        asked = await sandbox_server.api.post("/gateway", json={"request_heartbeat": True})
        assert asked.json()["heartbeats_requested"] == 1
        assert (await frames_until(socket, 1))["op"] == 1
        await send(socket, 1, 1)
        assert (await frames_until(socket, 11))["op"] == 11
        await sandbox_server.api.post("/gateway", json={"heartbeat_acks": False})
        await send(socket, 1, 1)
        await send(socket, 8, {"guild_id": str(sandbox_server.ids()["Sandbox Guild"]), "user_ids": ["1"]})
        answer = json.loads(await socket.recv())
        assert answer["t"] == "GUILD_MEMBERS_CHUNK"  # the next frame is not an ACK


async def test_discord_py_notices_a_zombie_connection_and_resumes_its_session(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    await sandbox_server.api.post("/gateway", json={"heartbeat_interval_ms": 300})
    client = await start_client(RecordingClient(intents=client_intents(members=True), heartbeat_timeout=1.0))
    await sandbox_server.api.post("/gateway", json={"heartbeat_acks": False})
    await eventually(lambda: len(client.seen("resumed")) >= 1 or len(client.seen("ready")) >= 2, within=10)
    await sandbox_server.api.post("/gateway", json={"heartbeat_acks": True})
    ids = sandbox_server.ids()
    for name in ("zombie0", "zombie1"):
        user = (await sandbox_server.api.post("/users", json={"username": name})).json()
        await sandbox_server.api.put(f"/guilds/{ids['Sandbox Guild']}/members/{user['id']}", json={})
    guild = client.get_guild(ids["Sandbox Guild"])
    assert guild is not None
    await eventually(lambda: {"zombie0", "zombie1"} <= {m.name for m in guild.members}, within=10)
