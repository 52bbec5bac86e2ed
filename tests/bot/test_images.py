"""A game's images in its announcement, end to end: the real bot posts absolute links, and the sandbox's
media proxy fetches them from the app like Discord would, with their size."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from gamesched.app import App
from tests.bot.conftest import Login, announcement, command, ephemeral_text, schedule
from tests.images.pictures import picture
from tests.world import World


def _media(message: dict[str, Any], key: str) -> dict[str, Any]:
    return dict(message["embeds"][0].get(key) or {})


async def test_the_announcement_shows_the_images_and_discord_can_fetch_them(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, title="Twilight Imperium")
    alice = await login("alice")
    thumb = await alice.put(
        f"/api/v1/games/{game['id']}/thumbnail",
        files={"file": ("t.png", picture("PNG", (900, 600)), "image/png")},
    )
    banner = await alice.put(
        f"/api/v1/games/{game['id']}/banner",
        files={"file": ("b.webp", picture("WEBP", (640, 360)), "image/webp")},
    )
    assert thumb.status_code == 200 and banner.status_code == 200
    base = bot_app.base_url.rstrip("/")

    def measured(message: dict[str, Any]) -> bool:
        return "width" in _media(message, "thumbnail") and "width" in _media(message, "image")

    message = await announcement(api, game, where=measured)

    assert _media(message, "thumbnail") == {
        "url": base + banner.json()["thumbnail_url"],  # the upload was downscaled to 512 px
        "width": 512,
        "height": 341,
        "content_type": "image/png",
    }
    assert _media(message, "image") == {
        "url": base + banner.json()["banner_url"],
        "width": 640,
        "height": 360,
        "content_type": "image/webp",
    }

    # Removing the banner takes it out of the embed; the thumbnail stays.
    assert (await alice.delete(f"/api/v1/games/{game['id']}/banner")).status_code == 200
    message = await announcement(api, game, where=lambda m: "image" not in m["embeds"][0])
    assert _media(message, "thumbnail")["url"] == base + banner.json()["thumbnail_url"]


def _file(name: str, data: bytes, content_type: str) -> dict[str, str]:
    return {"filename": name, "content_type": content_type, "data_base64": base64.b64encode(data).decode()}


async def test_game_create_takes_attached_pictures_through_the_same_image_checks(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    alice, channel = world.user_id("alice"), world.channel_id("board-games")
    # A file we don't take is said at once, before the form: by content, whatever its name says.
    refused = (
        await command(
            api, alice, channel, "game create", banner=_file("map.png", b"a shopping list\n", "image/png")
        )
    ).json()
    assert ephemeral_text(refused) == (
        "The banner (map.png): The file is not a PNG, JPEG, GIF or WebP image."
    )
    too_big = (
        await command(
            api,
            alice,
            channel,
            "game create",
            thumbnail=_file("huge.png", b"\0" * (5 * 1024 * 1024 + 1), "image/png"),
        )
    ).json()
    assert "images may be at most 5 MB" in ephemeral_text(too_big)

    opened = (
        await command(
            api,
            alice,
            channel,
            "game create",
            thumbnail=_file("cover.jpg", picture("JPEG", (1024, 1024)), "image/jpeg"),
            banner=_file("wide.webp", picture("WEBP", (640, 360)), "image/webp"),
        )
    ).json()
    assert opened["response"]["type"] == 9, opened  # the form
    when = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
    await asyncio.sleep(0.3)
    done = await api.post(
        "/interactions",
        json={
            "type": "modal",
            "user_id": str(alice),
            "channel_id": str(channel),
            "custom_id": opened["response"]["data"]["custom_id"],
            "values": {"title": "Pictured night", "when": when.strftime("%Y-%m-%d %H:%M")},
        },
    )
    assert "Scheduled **Pictured night**" in ephemeral_text(done.json())
    client = await login("alice")
    games = (await client.get("/api/v1/games", params={"guild_id": world.guild_id()})).json()["items"]
    [game] = [g for g in games if g["title"] == "Pictured night"]

    def measured(message: dict[str, Any]) -> bool:
        return "width" in _media(message, "thumbnail") and "width" in _media(message, "image")

    message = await announcement(api, game, where=measured)
    assert (_media(message, "thumbnail")["width"], _media(message, "thumbnail")["height"]) == (512, 512)
    assert (_media(message, "image")["width"], _media(message, "image")["height"]) == (640, 360)
