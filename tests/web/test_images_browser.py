"""A game's images in Chromium: chosen on the create form, replaced, refused and removed on the edit form,
and shown on the game page (loaded under the page's Content-Security-Policy)."""

from __future__ import annotations

from typing import Any

import pytest

from gamesched.app import App
from tests.images.pictures import picture
from tests.web.axe import BLOCKING, axe_violations, describe
from tests.web.conftest import browser_login
from tests.world import World

pytestmark = pytest.mark.browser


async def _loaded(page: Any, selector: str) -> tuple[int, int]:
    """The natural size of an image the browser really loaded (0x0 when it could not)."""
    locator = page.locator(selector)
    await locator.wait_for()
    await page.wait_for_function(
        "sel => { const i = document.querySelector(sel); return i && i.complete; }", arg=selector
    )
    size = await locator.evaluate("i => [i.naturalWidth, i.naturalHeight]")
    return size[0], size[1]


async def test_images_are_chosen_on_the_forms_and_shown_on_the_game_page(
    web_app: App, world: World, new_page: Any
) -> None:
    page = await new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    await browser_login(page, "alice")
    await page.goto(f"/games/new?guild_id={world.guild_id()}")
    await page.get_by_label("Title").fill("Scythe")
    await page.get_by_label("Date and time").fill("2031-03-01T18:00")
    await page.get_by_label("Thumbnail").set_input_files(
        {"name": "cover.jpg", "mimeType": "image/jpeg", "buffer": picture("JPEG", (1024, 1024))}
    )
    await page.get_by_role("button", name="Schedule game").click()
    await page.wait_for_url("**/games/*-*")

    assert await _loaded(page, "img.game-thumb") == (512, 512)  # downscaled from 1024
    assert await page.locator("img.game-banner").count() == 0

    # The edit form: a text file named like a picture is refused with a sentence, nothing else changes.
    game_url = page.url
    await page.goto(game_url + "/edit")
    await page.get_by_label("Banner").set_input_files(
        {"name": "banner.png", "mimeType": "image/png", "buffer": b"this is a shopping list\n"}
    )
    await page.get_by_role("button", name="Save changes").click()
    error = page.locator("#banner-error")
    await error.wait_for()
    assert await error.inner_text() == "The file is not a PNG, JPEG, GIF or WebP image."
    assert await page.get_by_label("Banner").get_attribute("aria-invalid") == "true"
    blocking = [v for v in await axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)

    # A real banner, and the thumbnail removed, in one save.
    await page.get_by_label("Banner").set_input_files(
        {"name": "wide.webp", "mimeType": "image/webp", "buffer": picture("WEBP", (800, 200))}
    )
    await page.get_by_label("Remove the thumbnail").check()
    await page.get_by_role("button", name="Save changes").click()
    await page.wait_for_url(lambda url: url.split("?")[0] == game_url)  # with its "Saved" notice
    assert await _loaded(page, "img.game-banner") == (800, 200)
    assert await page.locator("img.game-thumb").count() == 0

    # The edit form shows the current banner.
    await page.goto(game_url + "/edit")
    assert await _loaded(page, "img.image-preview.banner") == (800, 200)
    assert await page.get_by_label("Remove the thumbnail").count() == 0
    assert not violations, violations
