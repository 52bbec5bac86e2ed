"""Messages through the real discord.py client: views, limits, DMs, faults and rate limits."""

from __future__ import annotations

import asyncio

import discord
import pytest

from .conftest import SandboxServer, StartClient


class SignupView(discord.ui.View):
    """A persistent view like the announcement's Join/Leave buttons."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Join", style=discord.ButtonStyle.success, custom_id="game:1:join")
    async def join(self, interaction: discord.Interaction, _: discord.ui.Button[SignupView]) -> None:
        await interaction.response.send_message(f"{interaction.user.display_name} joined", ephemeral=True)

    @discord.ui.button(label="Leave", style=discord.ButtonStyle.danger, custom_id="game:1:leave")
    async def leave(self, interaction: discord.Interaction, _: discord.ui.Button[SignupView]) -> None:
        await interaction.response.edit_message(content="Game night (updated)", view=self)


async def test_message_with_persistent_view_is_visible_in_control_api(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()
    channel = client.get_channel(sandbox_server.ids()["#board-games"])

    sent = await channel.send("Game night", embed=discord.Embed(title="Catan"), view=SignupView())

    listed = (await sandbox_server.api.get(f"/channels/{channel.id}/messages")).json()
    assert [m["id"] for m in listed] == [str(sent.id)]
    message = listed[0]
    assert message["author_id"] == str(client.user.id) and message["content"] == "Game night"
    assert message["embeds"][0]["title"] == "Catan"
    buttons = message["components"][0]["components"]
    assert [b["custom_id"] for b in buttons] == ["game:1:join", "game:1:leave"]


async def test_edit_and_delete_reach_the_sandbox(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()
    channel = client.get_channel(sandbox_server.ids()["#general"])
    sent = await channel.send("draft")

    await sent.edit(content="final")
    listed = (await sandbox_server.api.get(f"/channels/{channel.id}/messages")).json()
    assert listed[0]["content"] == "final" and listed[0]["edited_at"] is not None
    fetched = await channel.fetch_message(sent.id)
    assert fetched.content == "final"

    await sent.delete()
    assert (await sandbox_server.api.get(f"/channels/{channel.id}/messages")).json() == []
    with pytest.raises(discord.NotFound) as missing:
        await channel.fetch_message(sent.id)
    assert missing.value.code == 10008


async def test_oversize_embed_is_rejected_like_discord(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()
    channel = client.get_channel(sandbox_server.ids()["#general"])

    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send(embed=discord.Embed(title="x" * 257))
    assert too_long.value.status == 400 and too_long.value.code == 50035
    assert "embeds.0.title" in str(too_long.value)

    fields = discord.Embed(title="many")
    for index in range(26):
        fields.add_field(name=f"f{index}", value="v")
    with pytest.raises(discord.HTTPException) as too_many:
        await channel.send(embed=fields)
    assert too_many.value.code == 50035

    huge = discord.Embed(description="d" * 4000)
    huge.add_field(name="n", value="v" * 1024)
    huge.add_field(name="n", value="v" * 1024)
    with pytest.raises(discord.HTTPException) as total:
        await channel.send(embed=huge)
    assert total.value.code == 50035
    assert (await sandbox_server.api.get(f"/channels/{channel.id}/messages")).json() == []


async def test_dm_to_user_with_closed_dms_is_forbidden(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()
    ids = sandbox_server.ids()

    bob = await client.fetch_user(ids["bob"])
    await bob.send("Reminder: game night at 8")
    mallory = await client.fetch_user(ids["mallory"])
    with pytest.raises(discord.Forbidden) as closed:
        await mallory.send("Reminder")

    assert closed.value.code == 50007
    dms = (await sandbox_server.api.get(f"/users/{ids['bob']}/dms")).json()
    assert [m["content"] for m in dms] == ["Reminder: game night at 8"]
    assert (await sandbox_server.api.get(f"/users/{ids['mallory']}/dms")).json() == []


async def test_injected_429_is_retried_by_discord_py(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()
    channel = client.get_channel(sandbox_server.ids()["#rpg"])
    await sandbox_server.api.delete("/log")

    await sandbox_server.api.post("/faults", json={"rest_429": 1})
    sent = await channel.send("after a 429")

    assert sent.content == "after a 429"
    calls = [
        c
        for c in (await sandbox_server.api.get("/log")).json()
        if c["path"].endswith(f"/channels/{channel.id}/messages")
    ]
    assert [c["status"] for c in calls] == [429, 200]


async def test_rate_limit_headers_pace_discord_py(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()
    channel = client.get_channel(sandbox_server.ids()["#archive"])
    # Shrink the window so the test stays fast; the rule shape is what matters.
    from discord_sandbox import BucketRule

    sandbox_server.sandbox.limiter.rules = {
        **sandbox_server.sandbox.limiter.rules,
        "message_create": BucketRule(2, 0.3),
    }

    for index in range(5):
        await channel.send(f"message {index}")

    statuses = [c["status"] for c in (await sandbox_server.api.get("/log")).json() if c["method"] == "POST"]
    assert statuses.count(200) == 5  # discord.py waited on X-RateLimit-Remaining: 0 instead of hitting 429s
    listed = (await sandbox_server.api.get(f"/channels/{channel.id}/messages")).json()
    assert [m["content"] for m in listed] == [f"message {i}" for i in range(5)]


async def test_a_resend_with_an_enforced_nonce_returns_the_first_message(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()
    bob = await client.fetch_user(sandbox_server.ids()["bob"])

    first = await bob.send("Game night starts in an hour", nonce="reminder-g1-60-bob")
    again = await bob.send("Game night starts in an hour", nonce="reminder-g1-60-bob")
    other = await bob.send("Game night starts in an hour", nonce="reminder-g2-60-bob")

    assert again.id == first.id and other.id != first.id
    assert first.nonce == "reminder-g1-60-bob"
    dms = (await sandbox_server.api.get(f"/users/{bob.id}/dms")).json()
    assert [m["id"] for m in dms] == [str(first.id), str(other.id)]
    with pytest.raises(discord.HTTPException) as too_long:
        await bob.send("x", nonce="n" * 26)
    assert too_long.value.code == 50035


async def test_a_slow_answer_arrives_after_the_message_exists(
    sandbox_server: SandboxServer, start_client: StartClient
) -> None:
    client = await start_client()
    channel = client.get_channel(sandbox_server.ids()["#general"])
    await sandbox_server.api.post("/faults", json={"answer_delay": 0.5})

    sending = asyncio.create_task(channel.send("slow"))
    for _ in range(200):
        if (await sandbox_server.api.get(f"/channels/{channel.id}/messages")).json():
            break
        await asyncio.sleep(0.01)
    assert not sending.done(), "the message exists before discord.py hears back"
    assert (await sending).content == "slow"
    await sandbox_server.api.post("/faults", json={"answer_delay": 0})
