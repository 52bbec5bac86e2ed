"""The viewer page: what a member sees in a channel and in their DMs, and clicking the bot's buttons."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import httpx
import pytest

from discord_sandbox import relative_time
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

from .conftest import SandboxServer, StartClient, eventually


@pytest.fixture
async def viewer(sandbox_server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sandbox_server.base_url}/sandbox", timeout=10) as client:
        yield client


class GameView(discord.ui.View):
    """An announcement's buttons, answered the way the real bot does: ephemerally."""

    def __init__(self, *, slow: bool = False) -> None:
        super().__init__(timeout=None)
        self.slow = slow

    @discord.ui.button(label="Join", style=discord.ButtonStyle.success, custom_id="game:join")
    async def join(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        if self.slow:
            await asyncio.sleep(3.5)
        await interaction.response.send_message(
            f"You joined **Game night**, {interaction.user.display_name}!", ephemeral=True
        )

    @discord.ui.button(label="Leave", style=discord.ButtonStyle.danger, custom_id="game:leave", disabled=True)
    async def leave(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await interaction.response.send_message("You left.", ephemeral=True)


class NameModal(discord.ui.Modal, title="Sign up"):
    name = discord.ui.TextInput(label="Character name", max_length=40)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Signed up as {self.name.value}", ephemeral=True)


class SignUpView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Sign up", style=discord.ButtonStyle.primary, custom_id="game:signup")
    async def sign_up(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await interaction.response.send_modal(NameModal())


async def announce(
    sandbox_server: SandboxServer, start_client: StartClient, view: GameView
) -> discord.Message:
    """A real discord.py client posts a game announcement with buttons in #general."""
    ids = sandbox_server.ids()
    client = await start_client()
    channel = client.get_channel(ids["#general"])
    assert isinstance(channel, discord.TextChannel)
    embed = discord.Embed(title="Game night", description="Bring **snacks**", color=0x2ECC71)
    embed.add_field(name="Host", value=f"<@{ids['alice']}>", inline=True)
    embed.add_field(name="Players", value="1/4", inline=True)
    embed.set_footer(text="gamesched")
    return await channel.send(f"New game in <#{ids['#board-games']}>!", embed=embed, view=view)


async def test_channel_renders_mentions_timestamps_and_escapes_html(
    sandbox_server: SandboxServer, viewer: httpx.AsyncClient
) -> None:
    sandbox, ids = sandbox_server.sandbox, sandbox_server.ids()
    in_two_hours = int((datetime.now(UTC) + timedelta(hours=2, seconds=30)).timestamp())
    content = (
        f"Hi <@{ids['bob']}> and <@!{ids['erin']}>, <@&{ids['@Player']}> meet in <#{ids['#rpg']}> "
        f"<t:1900000000:F> (<t:{in_two_hours}:R>) **bold** *soft* <script>alert(1)</script>"
    )
    sandbox.create_message(ids["#general"], ids["alice"], {"content": content})

    page = (await viewer.get("/", params={"as": ids["carol"], "channel": ids["#general"]})).text

    assert "@Bobby" in page and "@Erin the Bold" in page  # nicknames in this guild
    assert "@Player" in page and "#rpg" in page
    assert "Sunday, 17 March 2030 17:46 UTC" in page and "in 2 hours" in page
    assert "<strong>bold</strong>" in page and "<em>soft</em>" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert re.search(r'class="author">Alice Anders<', page)


@pytest.mark.parametrize(
    ("offset", "wording"),
    [
        (timedelta(hours=2), "in 2 hours"),
        (-timedelta(minutes=3), "3 minutes ago"),
        (timedelta(seconds=10), "in a few seconds"),
        (-timedelta(days=1), "a day ago"),
        (timedelta(days=60), "in 2 months"),
    ],
)
def test_relative_timestamps_read_like_discord(offset: timedelta, wording: str) -> None:
    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    assert relative_time(now + offset, now) == wording


async def test_page_offers_every_member_and_lists_only_their_guilds(
    sandbox_server: SandboxServer, viewer: httpx.AsyncClient
) -> None:
    ids = sandbox_server.ids()

    nobody = (await viewer.get("/")).text
    alice = await viewer.get("/", params={"as": ids["alice"]})

    assert "Pick a member" in nobody and "Mallory Moss (@mallory) · DMs closed" in nobody
    assert 'title="Other Guild"' in nobody
    assert 'title="Other Guild"' not in alice.text and 'title="Sandbox Guild"' in alice.text
    assert alice.cookies.get("sandbox_as") == str(ids["alice"])


async def test_dms_show_what_the_bot_sent_that_member(
    sandbox_server: SandboxServer, viewer: httpx.AsyncClient
) -> None:
    sandbox, ids = sandbox_server.sandbox, sandbox_server.ids()
    dm = sandbox.state.dm_channel_for(ids["dave"])
    sandbox.create_message(
        dm.id, sandbox.state.application.bot_user_id, {"content": "Reminder: game in 1 hour"}
    )

    dave = (await viewer.get("/", params={"as": ids["dave"], "dms": "1"})).text
    erin = (await viewer.get("/", params={"as": ids["erin"], "dms": "1"})).text

    assert "Reminder: game in 1 hour" in dave
    assert "Reminder: game in 1 hour" not in erin and "has not sent Erin Evans any DMs" in erin


async def test_clicking_a_button_shows_the_bots_ephemeral_reply_to_that_member_only(
    sandbox_server: SandboxServer, start_client: StartClient, viewer: httpx.AsyncClient
) -> None:
    ids = sandbox_server.ids()
    message = await announce(sandbox_server, start_client, GameView())
    page = (await viewer.get("/", params={"as": ids["bob"], "channel": ids["#general"]})).text
    assert "Game night" in page and "New game in" in page and 'value="game:join"' in page
    assert re.search(r"<button class=\"btn danger\" disabled\s*>Leave", page)

    clicked = await viewer.post(
        "/viewer/interact",
        data={
            "as": str(ids["bob"]),
            "channel_id": str(ids["#general"]),
            "message_id": str(message.id),
            "custom_id": "game:join",
            "back": f"/sandbox/?as={ids['bob']}&channel={ids['#general']}",
        },
    )
    assert clicked.status_code == 303
    location = sandbox_server.base_url + clicked.headers["location"]
    shown = await viewer.get(location)
    as_carol = await viewer.get(location.replace(f"as={ids['bob']}", f"as={ids['carol']}"))

    assert "You joined <strong>Game night</strong>, Bobby!" in shown.text
    assert "Only you can see this" in shown.text
    assert "You joined" not in as_carol.text


async def test_a_modal_the_bot_opens_can_be_filled_in_and_submitted(
    sandbox_server: SandboxServer, start_client: StartClient, viewer: httpx.AsyncClient
) -> None:
    ids = sandbox_server.ids()
    message = await announce(sandbox_server, start_client, SignUpView())
    back = f"/sandbox/?as={ids['ivan']}&channel={ids['#general']}"
    click = {"as": str(ids["ivan"]), "channel_id": str(ids["#general"]), "message_id": str(message.id)}

    clicked = await viewer.post("/viewer/interact", data=click | {"custom_id": "game:signup", "back": back})
    page = (await viewer.get(sandbox_server.base_url + clicked.headers["location"])).text
    assert "Sign up" in page and "Character name" in page
    modal = page[page.index('<form class="modal"') :]
    field = re.search(r'name="(value:[^"]+)"', modal)
    modal_id = re.search(r'name="custom_id" value="([^"]+)"', modal)
    assert field and modal_id
    submitted = await viewer.post(
        "/viewer/modal", data=click | {"custom_id": modal_id[1], "back": back, field[1]: "Grimble <b>"}
    )
    page = (await viewer.get(sandbox_server.base_url + submitted.headers["location"])).text

    assert "Signed up as Grimble &lt;b&gt;" in page and "Only you can see this" in page


async def test_unanswered_click_says_the_interaction_failed(
    sandbox_server: SandboxServer, start_client: StartClient, viewer: httpx.AsyncClient
) -> None:
    ids = sandbox_server.ids()
    message = await announce(sandbox_server, start_client, GameView(slow=True))
    back = f"/sandbox/?as={ids['erin']}&channel={ids['#general']}"

    clicked = await viewer.post(
        "/viewer/interact",
        data={
            "as": str(ids["erin"]),
            "channel_id": str(ids["#general"]),
            "message_id": str(message.id),
            "custom_id": "game:join",
            "back": back,
        },
    )
    page = (await viewer.get(sandbox_server.base_url + clicked.headers["location"])).text

    assert "This interaction failed" in page and "did not answer within 3 seconds" in page
    assert "1 interaction(s) failed" in page


@pytest.mark.browser
async def test_member_clicks_join_in_a_real_browser(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    from playwright.async_api import async_playwright, expect

    ids = sandbox_server.ids()
    sandbox = sandbox_server.sandbox
    dm = sandbox.state.dm_channel_for(ids["bob"])
    sandbox.create_message(
        dm.id, sandbox.state.application.bot_user_id, {"content": "Welcome to the sandbox!"}
    )
    await announce(sandbox_server, start_client, GameView())
    ARTIFACTS.mkdir(exist_ok=True)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 820})
            await page.goto(f"{sandbox_server.base_url}/sandbox/")
            await expect(page.get_by_text("Pick a member at the top")).to_be_visible()

            await page.select_option("#as", str(ids["bob"]))
            await expect(page.locator(".members .member.me")).to_contain_text("Bobby")
            announcement = page.locator("article.msg", has_text="New game in")
            await expect(announcement.locator(".embed")).to_contain_text("Game night")
            await expect(announcement.locator(".mention", has_text="#board-games")).to_be_visible()
            await announcement.get_by_role("button", name="Join").click()

            reply = page.locator("article.reply")
            await expect(reply).to_contain_text("You joined Game night, Bobby!")
            await expect(reply).to_contain_text("Only you can see this")
            await page.screenshot(path=str(ARTIFACTS / "sandbox-viewer.png"))

            await page.get_by_title("Direct messages").click()
            await expect(page.get_by_text("Welcome to the sandbox!")).to_be_visible()

            await page.get_by_label("live").check()
            await expect(page).to_have_url(re.compile(r"live=1"))
            sandbox.create_message(
                dm.id, sandbox.state.application.bot_user_id, {"content": "Game starts soon"}
            )
            await expect(page.get_by_text("Game starts soon")).to_be_visible(timeout=5000)
        finally:
            await browser.close()
    await eventually(lambda: not sandbox.interactions.failed)
