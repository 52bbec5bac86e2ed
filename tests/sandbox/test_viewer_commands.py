"""The viewer's command box: the bot's registered slash commands run as any member, like a Discord client."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

from .conftest import RecordingClient, SandboxServer, StartClient, client_intents, eventually

plan = app_commands.Group(name="plan", description="Plan things")


async def _suggest(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    titles = ["Catan night", "Carcassonne", "Gloomhaven"]
    return [app_commands.Choice(name=t, value=t) for t in titles if current.lower() in t.lower()]


@plan.command(name="game", description="Plan a game")
@app_commands.describe(title="What to play", seats="How many seats")
@app_commands.autocomplete(title=_suggest)
async def plan_game(
    interaction: discord.Interaction,
    title: str,
    seats: app_commands.Range[int, 1, 10],
    mode: Literal["casual", "ranked"],
    public: bool,
    cohost: discord.Member | None = None,
    where: discord.TextChannel | None = None,
    role: discord.Role | None = None,
) -> None:
    parts = [f"{title} for {seats} ({mode}, public={public})"]
    if cohost:
        parts.append(f"with {cohost.display_name}")
    if where:
        parts.append(f"in #{where.name}")
    if role:
        parts.append(f"for @{role.name}")
    await interaction.response.send_message(" ".join(parts), ephemeral=True)


class TitleForm(discord.ui.Modal, title="New game"):
    name: discord.ui.TextInput[TitleForm] = discord.ui.TextInput(label="Title", custom_id="title")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"created {self.name.value}", ephemeral=True)


@app_commands.command(name="form", description="Open a form")
async def form(interaction: discord.Interaction) -> None:
    await interaction.response.send_modal(TitleForm(custom_id="new-game"))


@app_commands.command(name="admin-only", description="Hidden from members")
@app_commands.default_permissions(manage_guild=True)
async def admin_only(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("ok", ephemeral=True)


class PlannerBot(RecordingClient):
    def __init__(self, guild_id: int) -> None:
        super().__init__(intents=client_intents(), guild_ready_timeout=0.1)
        self.guild = discord.Object(guild_id)
        self.tree = app_commands.CommandTree(self)
        for command in (plan, form, admin_only):
            self.tree.add_command(command, guild=self.guild)

    async def setup_hook(self) -> None:
        await self.tree.sync(guild=self.guild)


async def _start(sandbox_server: SandboxServer, start_client: StartClient) -> PlannerBot:
    bot = PlannerBot(sandbox_server.ids()["Sandbox Guild"])
    await start_client(bot)
    return bot


async def test_autocomplete_reaches_the_bot_and_its_suggestions_come_back(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    await _start(sandbox_server, start_client)
    ids = sandbox_server.ids()

    answer = await sandbox_server.api.post(
        "/interactions",
        json={
            "type": "autocomplete",
            "user_id": str(ids["bob"]),
            "channel_id": str(ids["#general"]),
            "name": "plan game",
            "options": {"title": "ca"},
            "focused": "title",
        },
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["response"] == {
        "type": 8,
        "data": {
            "choices": [
                {"name": "Catan night", "value": "Catan night"},
                {"name": "Carcassonne", "value": "Carcassonne"},
            ]
        },
    }


async def test_a_command_refuses_options_outside_their_limits_and_reads_boolean_words(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    await _start(sandbox_server, start_client)
    ids = sandbox_server.ids()
    base = {"type": "command", "user_id": str(ids["bob"]), "channel_id": str(ids["#general"])}
    options = {"title": "Catan", "mode": "casual", "public": "false"}

    too_many = await sandbox_server.api.post(
        "/interactions", json=base | {"name": "plan game", "options": options | {"seats": 11}}
    )
    fine = await sandbox_server.api.post(
        "/interactions", json=base | {"name": "plan game", "options": options | {"seats": "4"}}
    )

    assert too_many.status_code == 400 and too_many.json()["error"] == "option_out_of_range"
    assert fine.json()["message"]["content"] == "Catan for 4 (casual, public=False)"


async def test_member_runs_slash_commands_from_the_viewer_in_a_real_browser(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    from playwright.async_api import async_playwright, expect

    await _start(sandbox_server, start_client)
    ids = sandbox_server.ids()
    ARTIFACTS.mkdir(exist_ok=True)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            await page.goto(f"{sandbox_server.base_url}/sandbox/?as={ids['erin']}&channel={ids['#rpg']}")
            picker = page.get_by_label("Command as Erin Evans")
            offered = await picker.locator("option").all_inner_texts()
            assert any(o.startswith("/plan game") for o in offered)
            assert any(o.startswith("/form") for o in offered)
            assert not any("admin-only" in o for o in offered)  # Manage Server only, as on Discord

            await picker.select_option("plan game")
            title = page.get_by_label("title")
            await title.press_sequentially("car")
            suggestion = page.locator("#option-title-list option")
            await expect(suggestion).to_have_count(1)
            assert await suggestion.get_attribute("value") == "Carcassonne"
            await title.fill("Carcassonne")
            await page.get_by_label("seats").fill("5")
            await page.get_by_label("mode").select_option("ranked")
            await page.get_by_label("public").select_option("true")
            await page.get_by_label("cohost").select_option(label="@Bobby")
            await page.get_by_label("where").select_option(label="#board-games")
            await page.get_by_label("role", exact=True).select_option(label="@Player")
            await page.get_by_role("button", name="Send /plan game").click()

            reply = page.locator("#command-reply article.reply")
            await expect(reply).to_contain_text(
                "Carcassonne for 5 (ranked, public=True) with Bobby in #board-games for @Player"
            )
            await expect(page.locator("#command-reply")).to_contain_text("Erin the Bold used /plan game")
            await page.screenshot(path=str(ARTIFACTS / "sandbox-viewer-command.png"))

            await page.get_by_label("Command as Erin Evans").select_option("form")
            await page.get_by_role("button", name="Send /form").click()
            modal = page.locator("form.modal")
            await expect(modal).to_contain_text("New game")
            await modal.get_by_label("Title").fill("Dune")
            await modal.get_by_role("button", name="Submit").click()
            await expect(page.locator("article.reply")).to_contain_text("created Dune")
        finally:
            await browser.close()
    await eventually(lambda: not sandbox_server.sandbox.interactions.failed)


def test_the_viewer_form_leaves_attachment_options_to_the_control_api() -> None:
    from discord_sandbox.viewer.commands import filled_options

    options = [
        {"name": "title", "type": 3},
        {"name": "banner", "type": 11},  # a file: the control API's {filename, content_type, data_base64}
    ]
    typed = {"option:title": "Catan", "option:banner": "not a file"}
    assert filled_options(typed, options) == {"title": "Catan"}
