"""A game's images in its announcement, end to end: the real bot posts absolute links, and the sandbox's
media proxy fetches them from the app like Discord would, with their size."""

from __future__ import annotations

from typing import Any

import httpx

from gamesched.app import App
from tests.bot.conftest import Login, announcement, schedule
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
