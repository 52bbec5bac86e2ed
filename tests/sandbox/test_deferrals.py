"""Deferred ("thinking") responses, followups and the interaction token's lifetime, as Discord runs them."""

from __future__ import annotations

import asyncio
from typing import Any

import discord

from .conftest import SandboxServer, StartClient, eventually
from .test_interactions import _interact, _start_bot


async def _slow(interaction: discord.Interaction) -> None:
    await interaction.response.defer(thinking=True)
    await asyncio.sleep(0.05)
    await interaction.followup.send("done thinking", ephemeral=True)  # Discord ignores this flag here
    await interaction.followup.send("one more thing", ephemeral=True)


async def _quiet(interaction: discord.Interaction) -> None:
    await interaction.response.defer(thinking=True, ephemeral=True)
    await interaction.followup.send("only you see this")


HELD: list[discord.Interaction] = []


async def _hold(interaction: discord.Interaction) -> None:
    await interaction.response.defer(thinking=True, ephemeral=True)
    await interaction.edit_original_response(content="held")
    HELD.append(interaction)


async def _think(interaction: discord.Interaction) -> None:
    await interaction.response.defer(thinking=True)
    await interaction.edit_original_response(content="thought it through")


async def _tidy(interaction: discord.Interaction) -> None:
    await interaction.response.defer(thinking=True, ephemeral=True)
    await interaction.followup.send("first")
    extra = await interaction.followup.send("second", wait=True)
    await extra.edit(content="second, edited")
    await interaction.original_response()
    await interaction.delete_original_response()
    await extra.delete()


COMMANDS: list[tuple[str, str, Any]] = [
    ("slow", "Think first", _slow),
    ("think", "Think, then edit", _think),
    ("quiet", "Think privately", _quiet),
    ("hold", "Keep the token", _hold),
    ("tidy", "Answer, then clean up", _tidy),
]


async def test_first_followup_after_a_deferral_edits_the_loading_message(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    await _start_bot(sandbox_server, start_client, COMMANDS)
    ids = sandbox_server.ids()

    result = (
        await _interact(
            sandbox_server,
            type="command",
            user_id=str(ids["dave"]),
            guild_id=str(ids["Sandbox Guild"]),
            channel_id=str(ids["#rpg"]),
            name="slow",
            options={},
        )
    ).json()

    assert result["response"]["type"] == 5
    first, second = result["followups"]
    # The first followup became the original response: public like the deferral, its ephemeral flag ignored.
    assert (first["id"], first["content"], first["flags"]) == (result["message"]["id"], "done thinking", 0)
    assert first["original"] is True and not first["ephemeral"]
    # A later followup is a message of its own, with its own flags.
    assert (second["content"], second["flags"], second["ephemeral"]) == ("one more thing", 64, True)
    listed = (await sandbox_server.api.get(f"/channels/{ids['#rpg']}/messages")).json()
    assert [m["content"] for m in listed] == ["done thinking"]


async def test_an_ephemeral_deferral_keeps_its_followup_private(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    await _start_bot(sandbox_server, start_client, COMMANDS)
    ids = sandbox_server.ids()

    result = (
        await _interact(
            sandbox_server,
            type="command",
            user_id=str(ids["dave"]),
            channel_id=str(ids["#rpg"]),
            name="quiet",
            options={},
        )
    ).json()

    [answer] = result["followups"]
    assert answer["original"] and answer["content"] == "only you see this"
    assert answer["flags"] == 64 and answer["ephemeral"]
    assert (await sandbox_server.api.get(f"/channels/{ids['#rpg']}/messages")).json() == []


async def test_an_interaction_token_expires_after_15_minutes_with_401(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    now = [1000.0]
    sandbox_server.sandbox.interactions.clock = lambda: now[0]
    await _start_bot(sandbox_server, start_client, COMMANDS)
    ids = sandbox_server.ids()
    HELD.clear()
    result = await _interact(
        sandbox_server, type="command", user_id=str(ids["dave"]), channel_id=str(ids["#rpg"]), name="hold"
    )
    assert result.status_code == 200
    [interaction] = HELD

    now[0] += 14 * 60
    await interaction.followup.send("still in time")
    now[0] += 60 + 1
    for late in (
        interaction.followup.send("too late"),
        interaction.edit_original_response(content="too late"),
        interaction.original_response(),
    ):
        try:
            await late
        except discord.HTTPException as exc:
            assert (exc.status, exc.code, exc.text) == (401, 50027, "Invalid Webhook Token")
        else:
            raise AssertionError("an expired interaction token was accepted")


async def test_deferred_response_edited_in_place(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    await _start_bot(sandbox_server, start_client, COMMANDS)
    ids = sandbox_server.ids()

    result = (
        await _interact(
            sandbox_server,
            type="command",
            user_id=str(ids["dave"]),
            channel_id=str(ids["#rpg"]),
            name="think",
            options={},
        )
    ).json()

    assert result["response"]["type"] == 5
    assert [(f["content"], f["original"]) for f in result["followups"]] == [("thought it through", True)]
    listed = (await sandbox_server.api.get(f"/channels/{ids['#rpg']}/messages")).json()
    assert [(m["content"], m["flags"]) for m in listed] == [("thought it through", 0)]


async def test_followups_can_be_edited_and_deleted_by_id_and_as_original(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    await _start_bot(sandbox_server, start_client, COMMANDS)
    ids = sandbox_server.ids()

    result = await _interact(
        sandbox_server, type="command", user_id=str(ids["dave"]), channel_id=str(ids["#rpg"]), name="tidy"
    )

    assert result.status_code == 200
    state = sandbox_server.sandbox.state

    def answers() -> list[tuple[str, bool]]:
        return [(m.content, m.deleted) for m in state.messages.values() if m.channel_id == ids["#rpg"]]

    await eventually(
        lambda: all(deleted for _, deleted in answers())
    )  # the handler tidies up after answering
    assert answers() == [("first", True), ("second, edited", True)]
