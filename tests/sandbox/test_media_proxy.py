"""The sandbox's media proxy: embed images are fetched after the message is answered, measured, and the
message updated (MESSAGE_UPDATE) — a broken link gets 0x0."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import discord
import httpx
import pytest
import uvicorn
from litestar import Litestar, Response, get
from PIL import Image

from .conftest import SandboxServer, StartClient


def _png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, format="PNG")
    return out.getvalue()


class ImageHost:
    """A web server with a good image, a slow one (held until ``release``), a 404 and a text file."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.base_url = ""

        @get("/ok.png", sync_to_thread=False)
        def ok() -> Response[bytes]:
            return Response(_png((120, 80)), media_type="image/png")

        @get("/slow.png")
        async def slow() -> Response[bytes]:
            await self.release.wait()
            return Response(_png((300, 100)), media_type="image/png")

        @get("/note.png", sync_to_thread=False)
        def note() -> Response[bytes]:
            return Response(b"not an image", media_type="image/png")

        self.app = Litestar(route_handlers=[ok, slow, note])


@pytest.fixture
async def image_host() -> AsyncIterator[ImageHost]:
    host = ImageHost()
    server = uvicorn.Server(uvicorn.Config(host.app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    host.base_url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    yield host
    host.release.set()
    server.should_exit = True
    await task


async def test_embed_images_are_measured_after_the_answer_and_broken_links_show_as_broken(
    sandbox_server: SandboxServer, start_client: StartClient, image_host: ImageHost
) -> None:
    client = await start_client()
    channel = client.get_channel(sandbox_server.ids()["#board-games"])
    embed = discord.Embed(title="Catan").set_thumbnail(url=f"{image_host.base_url}/ok.png")
    embed.set_image(url=f"{image_host.base_url}/slow.png")

    # The slow image is still being held: the post is answered anyway.
    sent = await channel.send(embed=embed)
    assert sent.embeds[0].image.width is None and not image_host.release.is_set()

    image_host.release.set()
    await sandbox_server.sandbox.media.settled()
    stored = await _message(sandbox_server, channel.id, sent.id)
    assert stored["embeds"][0]["thumbnail"] == {
        "url": f"{image_host.base_url}/ok.png",
        "width": 120,
        "height": 80,
        "content_type": "image/png",
    }
    assert (stored["embeds"][0]["image"]["width"], stored["embeds"][0]["image"]["height"]) == (300, 100)
    # The bot hears of it like of Discord's own update, and its cached message has the sizes.
    assert client.seen("raw_message_edit")
    cached = discord.utils.get(client.cached_messages, id=sent.id)
    assert cached is not None and (cached.embeds[0].thumbnail.width, cached.embeds[0].image.height) == (
        120,
        100,
    )

    fetched = await channel.fetch_message(sent.id)  # Discord's REST answer (checked against its spec)
    assert (fetched.embeds[0].image.width, fetched.embeds[0].image.height) == (300, 100)

    broken = discord.Embed(title="Broken").set_thumbnail(url=f"{image_host.base_url}/missing.png")
    broken.set_image(url=f"{image_host.base_url}/note.png")
    second = await channel.send(embed=broken)
    await sandbox_server.sandbox.media.settled()
    shown = (await _message(sandbox_server, channel.id, second.id))["embeds"][0]
    assert (shown["thumbnail"]["width"], shown["thumbnail"]["height"]) == (0, 0)
    assert (shown["image"]["width"], shown["image"]["height"]) == (0, 0)
    ids = sandbox_server.ids()
    async with httpx.AsyncClient(base_url=f"{sandbox_server.base_url}/sandbox", timeout=10) as viewer:
        page = (await viewer.get("/", params={"as": ids["alice"], "channel": ids["#board-games"]})).text
    assert page.count(">Image could not be loaded</span>") == 2
    assert 'width="120" height="80"' in page


async def _message(server: SandboxServer, channel_id: int, message_id: int) -> dict[str, Any]:
    response = await server.api.get(f"/channels/{channel_id}/messages")
    return next(m for m in response.json() if m["id"] == str(message_id))
