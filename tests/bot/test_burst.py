"""A burst of clicks is coalesced into a few message edits, and Discord's 429s are survived."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gamesched.app import App
from gamesched.core.config import Settings
from tests.bot.conftest import (
    announcement,
    click,
    ephemeral_text,
    field,
    roster_lines,
    serving_bot,
)
from tests.games.conftest import create_game
from tests.login import login_as
from tests.world import World, fetch_world

PLAYERS = 50


@pytest.fixture
async def quiet_app(app_settings: Settings) -> AsyncIterator[App]:
    """Join DMs far in the future, so the burst's edits are all the bot does."""
    async with serving_bot(app_settings, join_dm_delay=600) as app:
        yield app


async def _crowd(api: httpx.AsyncClient, world: World, count: int) -> list[int]:
    """``count`` members of the Sandbox Guild: the default ones, then new accounts."""
    guild = world.guild_id()
    ids = [int(m["user_id"]) for m in world.guild("Sandbox Guild")["members"]]
    bot_id = int(world.raw["bot_user"]["id"])
    ids = [i for i in ids if i != bot_id]
    for n in range(count - len(ids)):
        user = (
            await api.post("/users", json={"username": f"player{n}", "global_name": f"Player {n}"})
        ).json()
        assert (await api.put(f"/guilds/{guild}/members/{user['id']}", json={})).status_code == 200
        ids.append(int(user["id"]))
    return ids[:count]


async def _burst(
    app: App, *, spread: float, faults: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any], list[int]]:
    """50 members click Join within ``spread`` seconds; returns (message edits, final message, players)."""
    async with httpx.AsyncClient(base_url=f"{app.base_url}/sandbox/api", timeout=30) as api:
        world = await fetch_world(app.base_url)
        players = await _crowd(api, world, PLAYERS)
        async with await login_as(app.base_url, "alice") as alice:
            game = await create_game(alice, world, max_players=40)
        message = await announcement(api, game)
        await api.delete("/log")
        if faults:
            await api.post("/faults", json=faults)

        async def join(index: int, user_id: int) -> dict[str, Any]:
            await asyncio.sleep(spread * index / len(players))
            return await click(api, user_id, message, f"game:join:{game['id']}")

        replies = await asyncio.gather(*(join(i, uid) for i, uid in enumerate(players)))
        assert all(r["latency_ms"] < 3000 for r in replies)

        texts = [ephemeral_text(r) for r in replies]
        assert sum("You're in" in t for t in texts) == 40
        assert sum("on the waitlist" in t for t in texts) == 10
        final = await announcement(
            api, game, where=lambda m: field(m, "Waitlist (10)") is not None, within=30
        )
        await asyncio.sleep(1.5)  # anything still queued would show up as a later edit
        edits = [
            e
            for e in (await api.get("/log")).json()
            if e["method"] == "PATCH"
            and e["path"].endswith(f"/messages/{message['id']}")
            and e["status"] == 200
        ]
        latest = await announcement(api, game)
        assert latest["embeds"] == final["embeds"]
        return len(edits), final, players


async def test_fifty_joins_make_a_handful_of_edits_and_the_final_message_is_right(quiet_app: App) -> None:
    edits, final, players = await _burst(quiet_app, spread=2.0)

    print(f"\n50 joins over 2 s -> {edits} message edits")
    assert 1 <= edits <= 12
    confirmed = roster_lines(final, "Players (40/40)")
    waitlisted = roster_lines(final, "Waitlist (10)")
    assert len(confirmed) == 40 and len(waitlisted) == 10
    shown = {line.split("<@")[1].rstrip(">") for line in confirmed + waitlisted}
    assert shown == {str(p) for p in players}


async def test_rate_limits_and_server_errors_from_discord_are_survived(quiet_app: App) -> None:
    edits, final, _ = await _burst(quiet_app, spread=0.0, faults={"rest_429": 3, "retry_after": 0.3})
    print(f"\n50 simultaneous joins with 429s -> {edits} message edits")
    assert len(roster_lines(final, "Players (40/40)")) == 40

    # A waitlisted player leaves (through the service, so no other REST call happens): Discord refuses the
    # edit twice before taking it.
    async with httpx.AsyncClient(base_url=f"{quiet_app.base_url}/sandbox/api", timeout=30) as api:
        await api.delete("/log")
        await api.post("/faults", json={"rest_429": 2, "retry_after": 0.3})
        game_id = final["components"][0]["components"][0]["custom_id"].split(":")[-1]
        last_waitlisted = int(roster_lines(final, "Waitlist (10)")[-1].split("<@")[1].rstrip(">"))
        await quiet_app.games.signups.leave(game_id, last_waitlisted)
        after = await announcement(
            api,
            {"id": game_id, "channel_id": final["channel_id"]},
            where=lambda m: field(m, "Waitlist (9)") is not None,
        )
        log = (await api.get("/log")).json()
    assert len(roster_lines(after, "Players (40/40)")) == 40
    assert f"<@{last_waitlisted}>" not in str(after["embeds"])
    assert [e["status"] for e in log if e["method"] == "PATCH"] == [429, 429, 200]
