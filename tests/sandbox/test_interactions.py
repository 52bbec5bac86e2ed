"""Interactions made through the control API and answered by a real discord.py client."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from discord import app_commands

from .conftest import RecordingClient, SandboxServer, StartClient, client_intents
from .test_messages import SignupView


class CommandBot(RecordingClient):
    """A client with a command tree synced to one guild and the persistent signup view."""

    def __init__(self, guild_id: int, commands: list[tuple[str, str, Any]] | None = None) -> None:
        super().__init__(intents=client_intents(), guild_ready_timeout=0.1)
        self.guild = discord.Object(guild_id)
        self.tree = app_commands.CommandTree(self)
        for name, description, callback in COMMANDS if commands is None else commands:
            command = app_commands.Command(name=name, description=description, callback=callback)
            self.tree.add_command(command, guild=self.guild)

    async def setup_hook(self) -> None:
        self.add_view(SignupView())
        await self.tree.sync(guild=self.guild)


async def _ping(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("pong")


async def _host(interaction: discord.Interaction, title: str, seats: int, cohost: discord.Member) -> None:
    await interaction.response.send_message(f"{title} for {seats} with {cohost.display_name}", ephemeral=True)


class TitleForm(discord.ui.Modal, title="New game"):
    name: discord.ui.TextInput[TitleForm] = discord.ui.TextInput(label="Title", custom_id="title")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"created {self.name.value}", ephemeral=True)


async def _form(interaction: discord.Interaction) -> None:
    await interaction.response.send_modal(TitleForm(custom_id="new-game"))


COMMANDS: list[tuple[str, str, Any]] = [
    ("ping", "Answer pong", _ping),
    ("host", "Host a game", _host),
    ("form", "Open a form", _form),
]


async def _start_bot(
    sandbox_server: SandboxServer,
    start_client: StartClient,
    commands: list[tuple[str, str, Any]] | None = None,
) -> CommandBot:
    bot = CommandBot(sandbox_server.ids()["Sandbox Guild"], commands)
    await start_client(bot)
    return bot


async def _interact(sandbox_server: SandboxServer, **body: Any) -> Any:
    return await sandbox_server.api.post("/interactions", json=body)


async def _posted_with(
    sandbox_server: SandboxServer, start_client: StartClient, view: discord.ui.View
) -> tuple[dict[str, int], discord.Message]:
    """The sandbox's ids, and "Game night" posted by the bot in #board-games with ``view`` under it."""
    bot = await _start_bot(sandbox_server, start_client)
    ids = sandbox_server.ids()
    return ids, await bot.get_channel(ids["#board-games"]).send("Game night", view=view)


async def test_button_click_gets_the_view_callbacks_ephemeral_reply(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    ids, message = await _posted_with(sandbox_server, start_client, SignupView())

    answer = await _interact(
        sandbox_server,
        type="component",
        user_id=str(ids["bob"]),
        channel_id=str(message.channel.id),
        message_id=str(message.id),
        custom_id="game:1:join",
    )

    assert answer.status_code == 200
    result = answer.json()
    assert result["response"]["type"] == 4
    assert result["response"]["data"]["content"] == "Bobby joined"
    assert result["response"]["data"]["flags"] == 64
    assert 0 <= result["latency_ms"] < 3000
    listed = (await sandbox_server.api.get(f"/channels/{message.channel.id}/messages")).json()
    assert [m["content"] for m in listed] == ["Game night"]  # the ephemeral reply is not a channel message


async def test_update_message_response_edits_the_clicked_message(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    ids, message = await _posted_with(sandbox_server, start_client, SignupView())

    result = (
        await _interact(
            sandbox_server,
            type="component",
            user_id=str(ids["carol"]),
            channel_id=str(message.channel.id),
            message_id=str(message.id),
            custom_id="game:1:leave",
        )
    ).json()

    assert result["response"]["type"] == 7
    listed = (await sandbox_server.api.get(f"/channels/{message.channel.id}/messages")).json()
    assert listed[0]["content"] == "Game night (updated)" and listed[0]["edited_at"] is not None


async def test_slash_command_synced_to_the_guild_runs(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    await _start_bot(sandbox_server, start_client)
    ids = sandbox_server.ids()

    result = (
        await _interact(
            sandbox_server,
            type="command",
            user_id=str(ids["alice"]),
            guild_id=str(ids["Sandbox Guild"]),
            channel_id=str(ids["#general"]),
            name="ping",
            options={},
        )
    ).json()

    assert result["response"]["type"] == 4 and result["response"]["data"]["content"] == "pong"
    listed = (await sandbox_server.api.get(f"/channels/{ids['#general']}/messages")).json()
    assert [m["content"] for m in listed] == ["pong"]


async def test_command_options_are_typed_and_resolved(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    await _start_bot(sandbox_server, start_client)
    ids = sandbox_server.ids()

    result = (
        await _interact(
            sandbox_server,
            type="command",
            user_id=str(ids["alice"]),
            guild_id=str(ids["Sandbox Guild"]),
            channel_id=str(ids["#general"]),
            name="host",
            options={"title": "Catan", "seats": "4", "cohost": str(ids["erin"])},
        )
    ).json()
    assert result["response"]["data"]["content"] == "Catan for 4 with Erin the Bold"

    missing = await _interact(
        sandbox_server,
        type="command",
        user_id=str(ids["alice"]),
        guild_id=str(ids["Sandbox Guild"]),
        channel_id=str(ids["#general"]),
        name="host",
        options={"title": "Catan"},
    )
    assert missing.status_code == 400 and missing.json()["error"] == "missing_option"


async def test_modal_round_trip(sandbox_server: SandboxServer, start_client: StartClient) -> None:
    await _start_bot(sandbox_server, start_client)
    ids = sandbox_server.ids()
    where = {
        "user_id": str(ids["heidi"]),
        "guild_id": str(ids["Sandbox Guild"]),
        "channel_id": str(ids["#general"]),
    }

    opened = (await _interact(sandbox_server, type="command", name="form", options={}, **where)).json()
    assert opened["response"]["type"] == 9 and opened["response"]["data"]["custom_id"] == "new-game"
    submitted = (
        await _interact(
            sandbox_server, type="modal", custom_id="new-game", values={"title": "Gloomhaven"}, **where
        )
    ).json()

    assert submitted["response"]["data"]["content"] == "created Gloomhaven"


async def test_unanswered_interaction_times_out_and_is_recorded_as_failed(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    await start_client()
    ids = sandbox_server.ids()
    # A button no view of the client handles, as after a restart without add_view: nobody answers.
    button = {"type": 2, "style": 1, "label": "Join", "custom_id": "game:1:join"}
    message = sandbox_server.sandbox.create_message(
        ids["#general"],
        ids["gamesched"],
        {"content": "orphan", "components": [{"type": 1, "components": [button]}]},
    )

    answer = await _interact(
        sandbox_server,
        type="component",
        user_id=str(ids["bob"]),
        channel_id=str(ids["#general"]),
        message_id=str(message.id),
        custom_id="game:1:join",
    )

    assert answer.status_code == 504 and answer.json()["error"] == "interaction_timeout"
    failed = (await sandbox_server.api.get("/interactions/failed")).json()
    assert [(f["label"], f["reason"], f["connected_sessions"]) for f in failed] == [
        ("game:1:join", "timeout", 1)
    ]


async def test_a_failed_interaction_says_the_bot_had_no_live_gateway_connection(
    sandbox_server: SandboxServer,
) -> None:
    """Dispatched while no bot was connected (down, or between a drop and its RESUME): no retry by the bot
    could have answered it, and the record says so."""
    ids = sandbox_server.ids()
    button = {"type": 2, "style": 1, "label": "Join", "custom_id": "game:2:join"}
    message = sandbox_server.sandbox.create_message(
        ids["#general"],
        ids["gamesched"],
        {"content": "nobody home", "components": [{"type": 1, "components": [button]}]},
    )

    answer = await _interact(
        sandbox_server,
        type="component",
        user_id=str(ids["bob"]),
        channel_id=str(ids["#general"]),
        message_id=str(message.id),
        custom_id="game:2:join",
    )

    assert answer.status_code == 504
    failed = (await sandbox_server.api.get("/interactions/failed")).json()
    assert [(f["label"], f["connected_sessions"]) for f in failed] == [("game:2:join", 0)]


async def test_unknown_component_is_refused(sandbox_server: SandboxServer, start_client: StartClient) -> None:
    client = await start_client()
    ids = sandbox_server.ids()
    message = await client.get_channel(ids["#general"]).send("plain")

    answer = await _interact(
        sandbox_server,
        type="component",
        user_id=str(ids["bob"]),
        channel_id=str(ids["#general"]),
        message_id=str(message.id),
        custom_id="nope",
    )
    assert answer.status_code == 404 and answer.json()["error"] == "unknown_component"


class GatheringView(discord.ui.View):
    """A Join button that answers no click before ``expected`` clicks have arrived."""

    def __init__(self, expected: int) -> None:
        super().__init__(timeout=None)
        self.expected = expected
        self.arrived = 0
        self.all_here = asyncio.Event()

    @discord.ui.button(label="Join", custom_id="game:1:join")
    async def join(self, interaction: discord.Interaction, _: discord.ui.Button[GatheringView]) -> None:
        self.arrived += 1
        if self.arrived == self.expected:
            self.all_here.set()
        await asyncio.wait_for(self.all_here.wait(), 2)  # clicks dispatched one after another never get here
        await interaction.response.send_message(f"{interaction.user.display_name} joined", ephemeral=True)


async def test_interactions_at_once_are_all_dispatched_before_any_answer_and_reported_in_order(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    ids, message = await _posted_with(sandbox_server, start_client, GatheringView(3))
    clickers = ["bob", "carol", "alice"]
    click = {"type": "component", "channel_id": str(message.channel.id), "message_id": str(message.id)}

    answer = await sandbox_server.api.post(
        "/interactions/at-once",
        json={
            "interactions": [{**click, "user_id": str(ids[n]), "custom_id": "game:1:join"} for n in clickers]
        },
    )

    assert answer.status_code == 200
    reports = answer.json()["interactions"]
    assert [r["response"]["data"]["content"] for r in reports] == [
        "Bobby joined",
        "Carol Chen joined",
        "Alice Anders joined",
    ]
    assert all(0 <= r["latency_ms"] < 3000 for r in reports)
    assert len({r["interaction_id"] for r in reports}) == 3


async def test_interactions_at_once_with_a_malformed_one_dispatch_nothing(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    ids, message = await _posted_with(sandbox_server, start_client, SignupView())
    click = {"type": "component", "user_id": str(ids["bob"]), "channel_id": str(message.channel.id)}

    answer = await sandbox_server.api.post(
        "/interactions/at-once",
        json={
            "interactions": [
                {**click, "message_id": str(message.id), "custom_id": "game:1:join"},
                {**click, "type": "wave"},
            ]
        },
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_interaction_type" and answer.json()["index"] == 1
    assert sandbox_server.sandbox.interactions.pending == {}
    empty = await sandbox_server.api.post("/interactions/at-once", json={"interactions": []})
    assert empty.status_code == 400 and empty.json()["error"] == "invalid_interactions"
