"""Time zones through the real bot and the sandbox: /settings timezone (autocomplete over zone names),
/game create reading natural input in the member's zone and asking before it creates, and DMs naming the
game's zone ("Berlin time") next to Discord's own ``<t:…>`` markup."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from gamesched.app import App
from tests.bot.conftest import announcement, click, command, dms, ephemeral_text, eventually
from tests.world import World

FILLING_IN = 0.3  # as in test_commands: Discord shows the form before anyone submits it
BERLIN = ZoneInfo("Europe/Berlin")


async def _suggested(api: httpx.AsyncClient, user_id: int, channel_id: int, typed: str) -> list[str]:
    answer = await api.post(
        "/interactions",
        json={
            "type": "autocomplete",
            "user_id": str(user_id),
            "channel_id": str(channel_id),
            "name": "settings timezone",
            "options": {"zone": typed},
            "focused": "zone",
        },
    )
    assert answer.status_code == 200, answer.text
    return [c["value"] for c in answer.json()["response"]["data"]["choices"]]


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


def _tomorrow_at_8pm(zone: ZoneInfo) -> set[int]:
    """tomorrow 20:00 in ``zone`` as timestamps (both days if the test runs across midnight there)."""
    days = {datetime.now(zone).date(), (datetime.now(zone) + timedelta(seconds=30)).date()}
    return {int(datetime.combine(d + timedelta(days=1), time(20), tzinfo=zone).timestamp()) for d in days}


async def test_settings_timezone_offers_zone_names_and_saves_the_members_choice(
    bot_app: App, world: World, api: httpx.AsyncClient
) -> None:
    alice, channel = world.user_id("alice"), world.channel_id("rpg")

    assert (await _suggested(api, alice, channel, "berl"))[0] == "Europe/Berlin"
    assert "America/New_York" in await _suggested(api, alice, channel, "new york")
    assert len(await _suggested(api, alice, channel, "a")) == 25  # Discord's most

    before = ephemeral_text((await command(api, alice, channel, "settings timezone")).json())
    assert "You have no time zone set" in before
    unknown = ephemeral_text((await command(api, alice, channel, "settings timezone", zone="Berlin")).json())
    assert unknown == "I don't know the time zone 'Berlin'. Did you mean Europe/Berlin?", unknown
    saved = ephemeral_text(
        (await command(api, alice, channel, "settings timezone", zone="europe/berlin")).json()
    )
    assert saved.startswith("Your time zone is now **Europe/Berlin**"), saved
    assert await bot_app.guilds.preferences.time_zone(alice) == BERLIN
    shown = ephemeral_text((await command(api, alice, channel, "settings timezone")).json())
    assert shown.startswith("Your time zone is **Europe/Berlin**"), shown


async def test_game_create_reads_natural_time_in_the_members_zone_and_asks_before_creating(
    bot_app: App, world: World, api: httpx.AsyncClient
) -> None:
    alice, bob, channel = world.user_id("alice"), world.user_id("bob"), world.channel_id("rpg")
    await bot_app.guilds.preferences.set_time_zone(alice, "Europe/Berlin")
    form = (await command(api, alice, channel, "game create")).json()["response"]["data"]
    assert "read as Europe/Berlin time" in str(form)  # the form names the zone the time is read in
    typed = {"title": "Berlin night", "when": "tomorrow 8pm", "description": "", "max_players": "4"}

    asked = await _submit(api, alice, channel, form["custom_id"], typed)

    text = ephemeral_text(asked)
    stamps = _tomorrow_at_8pm(BERLIN)
    assert any(f"The game starts <t:{t}:F>" in text for t in stamps), text
    assert "I read 'tomorrow 8pm' as " in text and ", 20:00 Berlin time." in text, text
    create, change = asked["message"]["components"][0]["components"]
    assert (create["label"], change["label"]) == ("Create", "Change")
    assert (await bot_app.games.queries.list(alice, guild_id=world.guild_id())).items == []  # not yet

    reopened = await click(api, alice, asked["message"], change["custom_id"])
    assert reopened["response"]["type"] == 9  # Change: the form again, as typed
    assert await bot_app.guilds.preferences.time_zone(bob) is None
    forged = await click(api, bob, asked["message"], create["custom_id"])
    assert "no longer kept" in ephemeral_text(forged)  # only alice's click creates her game

    done = ephemeral_text(await click(api, alice, asked["message"], create["custom_id"]))
    assert "Scheduled **Berlin night**" in done and "20:00 Berlin time" in done, done
    (game,) = (await bot_app.games.queries.list(alice, guild_id=world.guild_id())).items
    assert int(game.scheduled_at.timestamp()) in stamps
    assert game.time_zone == "Europe/Berlin"
    again = ephemeral_text(await click(api, alice, asked["message"], create["custom_id"]))
    assert "no longer kept" in again  # a second press creates nothing more
    assert len((await bot_app.games.queries.list(alice, guild_id=world.guild_id())).items) == 1

    # /game cancel offers her games as she types, in plain text: the time in her zone.
    offered = await api.post(
        "/interactions",
        json={
            "type": "autocomplete",
            "user_id": str(alice),
            "channel_id": str(channel),
            "name": "game cancel",
            "options": {"game": "berlin"},
            "focused": "game",
        },
    )
    (choice,) = offered.json()["response"]["data"]["choices"]
    local = game.scheduled_at.astimezone(BERLIN)
    assert choice["name"] == f"Berlin night · {local:%d %b}, 20:00 {local.tzname()}", choice

    # Bob joins: his DM names the time as the host meant it, besides Discord's markup.
    message = await announcement(api, {"id": game.id, "title": game.title, "channel_id": game.channel_id})
    await click(api, bob, message, f"game:join:{game.id}")

    async def joined() -> list[str]:
        return [m["content"] for m in await dms(api, bob) if "Berlin night" in (m.get("content") or "")]

    (dm,) = await eventually(joined)
    assert "<t:" in dm and ", 20:00 Berlin time" in dm, dm
