"""The viewer's links and its own accessibility: axe-core finds nothing serious, in light and dark mode."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.web.axe import BLOCKING, axe_violations, describe

from .conftest import SandboxServer, StartClient
from .test_viewer import GameView, SignUpView, announce
from .test_viewer_commands import PlannerBot


async def test_urls_in_messages_and_embeds_become_safe_links(sandbox_server: SandboxServer) -> None:
    sandbox, ids = sandbox_server.sandbox, sandbox_server.ids()
    content = (
        "Rules: https://example.com/rules_v2?a=1&b=2. Also <https://boardgamegeek.com/x> and "
        "[the wiki](https://en.wikipedia.org/wiki/Catan_(game)) — not javascript:alert(1) nor "
        'ftp://files.example.com nor https://"onmouseover=alert(1)'
    )
    sandbox.create_message(
        ids["#general"],
        ids["alice"],
        {"content": content, "embeds": [{"description": "Map: http://maps.example.org/spot"}]},
    )
    async with httpx.AsyncClient(base_url=f"{sandbox_server.base_url}/sandbox", timeout=10) as viewer:
        page = (await viewer.get("/", params={"as": ids["bob"], "channel": ids["#general"]})).text

    attrs = 'rel="noopener nofollow ugc" target="_blank"'
    assert f'<a href="https://example.com/rules_v2?a=1&amp;b=2" {attrs}>' in page  # the full stop stays out
    assert f'<a href="https://boardgamegeek.com/x" {attrs}>https://boardgamegeek.com/x</a>' in page
    assert f'<a href="https://en.wikipedia.org/wiki/Catan_(game)" {attrs}>the wiki</a>' in page
    assert f'<a href="http://maps.example.org/spot" {attrs}>' in page
    assert 'href="javascript' not in page and 'href="ftp' not in page and 'onmouseover=alert(1)"' not in page


#: Moderate rules the viewer keeps clean too: every part in a landmark, and a page heading.
STRUCTURE = ("region", "landmark-one-main", "page-has-heading-one")


async def _axe(page: Any, where: str) -> list[str]:
    found = [v for v in await axe_violations(page) if v["impact"] in BLOCKING or v["id"] in STRUCTURE]
    return [f"{where}: {line}" for line in describe(found).splitlines()]


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_viewer_pages_have_no_serious_axe_violations(
    sandbox_server: SandboxServer, start_client: StartClient, scheme: str
) -> None:
    from playwright.async_api import async_playwright, expect

    ids = sandbox_server.ids()
    sandbox = sandbox_server.sandbox
    bot = PlannerBot(ids["Sandbox Guild"])
    await start_client(bot)
    await announce(sandbox_server, start_client, GameView())
    signup = await announce(sandbox_server, start_client, SignUpView())
    dm = sandbox.state.dm_channel_for(ids["bob"])
    sandbox.create_message(
        dm.id, sandbox.state.application.bot_user_id, {"content": "See https://example.com"}
    )
    sandbox.create_message(
        ids["#general"], ids["alice"], {"content": f"Hi <@{ids['bob']}> https://example.com"}
    )
    base = sandbox_server.base_url
    problems: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for width, height in ((1400, 900), (390, 844)):
                context = await browser.new_context(
                    viewport={"width": width, "height": height},
                    color_scheme=scheme,  # type: ignore[arg-type]
                )
                page = await context.new_page()
                await page.goto(f"{base}/sandbox/")
                problems += await _axe(page, f"{width}px nobody")
                await page.goto(
                    f"{base}/sandbox/?as={ids['bob']}&channel={ids['#general']}&command=plan+game"
                )
                problems += await _axe(page, f"{width}px channel with the command box")
                await page.locator(f"#m{signup.id}").get_by_role("button", name="Sign up").click()
                await expect(page.locator("form.modal")).to_be_visible()
                problems += await _axe(page, f"{width}px modal")
                await page.goto(f"{base}/sandbox/?as={ids['bob']}&dms=1")
                problems += await _axe(page, f"{width}px DMs")
                await page.screenshot(path=str(ARTIFACTS / f"sandbox-viewer-{scheme}-{width}.png"))
                await context.close()
        finally:
            await browser.close()

    assert not problems, "\n".join(problems)
