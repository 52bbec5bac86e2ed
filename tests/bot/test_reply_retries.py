"""Discord answering the bot's reply with 429s or 500s: the reply is sent again while Discord still takes it,
so the member gets an answer instead of "This interaction failed" (found by ``make reliability``)."""

from __future__ import annotations

import asyncio
import contextlib

import discord
import httpx
import pytest

from gamesched.app import App
from tests.bot.conftest import Login, announcement, click, ephemeral_text, schedule
from tests.world import World


@pytest.mark.parametrize(
    "faults",
    [
        {"rest_429": 8},  # discord.py alone gives up after five
        {"rest_500": 5},  # discord.py alone waits 1 s, then 3 s: past Discord's 3-second window
    ],
    ids=["429-burst", "500-burst"],
)
async def test_a_click_is_answered_through_a_burst_of_errors(
    world: World, login: Login, api: httpx.AsyncClient, faults: dict[str, int]
) -> None:
    game = await schedule(login, world, max_players=4)
    message = await announcement(api, game)
    await api.delete("/log")

    await api.post("/faults", json=faults)
    answer = await click(api, world.user_id("bob"), message, f"game:join:{game['id']}")

    assert ephemeral_text(answer).startswith("You're in")
    assert (await api.get("/interactions/failed")).json() == []
    callbacks = [c["status"] for c in (await api.get("/log")).json() if c["path"].endswith("/callback")]
    assert callbacks[-1] < 300 and len(callbacks) > 1


class DroppingRelay:
    """A TCP relay in front of the app (and its sandbox) that closes, without an answer, the first connection
    whose request is an interaction callback: the call may or may not have reached Discord, as when a
    keep-alive connection breaks under it."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.dropped = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> DroppingRelay:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = await reader.read(65536)
        if b"/callback" in first.split(b"\r\n", 1)[0] and not self.dropped:
            self.dropped += 1
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        up_writer.write(first)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def test_a_click_is_answered_when_the_connection_breaks_under_the_reply(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, max_players=4)
    message = await announcement(api, game)
    port = int(bot_app.base_url.rsplit(":", 1)[1].split("/")[0])
    rest_base = discord.http.Route.BASE
    async with DroppingRelay(port) as relay:
        discord.http.Route.BASE = rest_base.replace(f":{port}/", f":{relay.port}/")
        try:
            answer = await click(api, world.user_id("bob"), message, f"game:join:{game['id']}")
        finally:
            discord.http.Route.BASE = rest_base

    assert relay.dropped == 1
    assert ephemeral_text(answer).startswith("You're in")
    assert (await api.get("/interactions/failed")).json() == []
