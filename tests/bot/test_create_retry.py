"""A refused /game create form is offered again with what was typed, and natural dates are understood
(issue 13): the real bot against the sandbox, through the control API a Discord client's clicks go through."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from gamesched.app import App
from tests.bot.conftest import click, command, ephemeral_text
from tests.world import World

FILLING_IN = 0.3  # as in test_commands: Discord shows the form before anyone submits it


async def _submit(
    api: httpx.AsyncClient, user_id: int, channel_id: int, custom_id: str, values: dict[str, str]
) -> dict[str, Any]:
    await asyncio.sleep(FILLING_IN)
    answer = await api.post(
        "/interactions",
        json={
            "type": "modal",
            "user_id": str(user_id),
            "channel_id": str(channel_id),
            "custom_id": custom_id,
            "values": values,
        },
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _modal_values(data: dict[str, Any]) -> dict[str, str]:
    """The pre-filled values of a modal's text inputs (action rows or labels)."""
    values = {}
    for item in data["components"]:
        for field in [*(item.get("components") or []), *([item["component"]] if "component" in item else [])]:
            values[field["custom_id"]] = field.get("value", "")
    return values


def _tomorrow_at_8pm() -> set[int]:
    """tomorrow 20:00 UTC, as a timestamp (both days if the test runs across midnight UTC)."""
    days = {datetime.now(UTC).date(), (datetime.now(UTC) + timedelta(seconds=30)).date()}
    return {int(datetime(d.year, d.month, d.day, 20, tzinfo=UTC).timestamp()) + 86400 for d in days}


async def test_a_refused_form_comes_back_filled_in_and_natural_dates_are_echoed(
    bot_app: App, world: World, api: httpx.AsyncClient
) -> None:
    alice, channel = world.user_id("alice"), world.channel_id("rpg")
    form = (await command(api, alice, channel, "game create")).json()["response"]["data"]
    typed = {
        "title": "Catan marathon",
        "when": "tomorrow 8pm",
        "description": "Bring snacks\nand the seafarers expansion",
        "max_players": "200",
    }

    refused = await _submit(api, alice, channel, form["custom_id"], typed)

    text = ephemeral_text(refused)
    assert "Max players must be a whole number from 1 to 100." in text, text
    assert any(f"I read the time 'tomorrow 8pm' as <t:{t}:F>" in text for t in _tomorrow_at_8pm()), text
    reply = refused["message"]
    assert reply["ephemeral"]
    button = reply["components"][0]["components"][0]
    assert button["label"] == "Edit and try again"

    reopened = await click(api, alice, reply, button["custom_id"])

    assert reopened["response"]["type"] == 9, reopened  # the form again ...
    again = reopened["response"]["data"]
    assert _modal_values(again) == typed | {"post_at": ""}  # ... with every answer kept (none for post_at)
    fixed = await _submit(api, alice, channel, again["custom_id"], typed | {"max_players": "5"})
    asked = ephemeral_text(fixed)  # natural words: the time as understood first, created on "Create"
    assert any(f"The game starts <t:{t}:F>" in asked for t in _tomorrow_at_8pm()), asked
    assert "Times are read in UTC: choose your time zone with /settings timezone." in asked, asked
    create = fixed["message"]["components"][0]["components"][0]
    assert create["label"] == "Create"
    done = ephemeral_text(await click(api, alice, fixed["message"], create["custom_id"]))
    assert "Scheduled **Catan marathon**" in done, done
    assert any(f"<t:{t}:F>" in done for t in _tomorrow_at_8pm()), done
    (game,) = (await bot_app.games.queries.list(alice, guild_id=world.guild_id())).items
    assert game.description == "Bring snacks\nand the seafarers expansion" and game.max_players == 5


async def test_someone_else_cannot_reopen_a_form_and_a_day_without_time_is_asked_about(
    bot_app: App, world: World, api: httpx.AsyncClient
) -> None:
    alice, bob, channel = world.user_id("alice"), world.user_id("bob"), world.channel_id("rpg")
    form = (await command(api, alice, channel, "game create")).json()["response"]["data"]

    refused = await _submit(
        api, alice, channel, form["custom_id"], {"title": "Dune", "when": "friday", "description": ""}
    )

    text = ephemeral_text(refused)
    assert "'friday' names a day but no time." in text, text
    assert "missing" not in text, text  # the time is not also reported as left out
    button = refused["message"]["components"][0]["components"][0]
    # The reply is ephemeral, so only alice sees the button; a forged click by bob gets nothing of hers.
    forged = await click(api, bob, refused["message"], button["custom_id"])
    assert forged["response"]["type"] == 4 and "no longer kept" in ephemeral_text(forged)
