"""Two bot processes on one database and one sandbox: a game's announcement is never edited by both at once.

Refreshes of one game are serialised across processes by an advisory lock (core/locks.py). The sandbox is
told to answer every REST call late (``answer_delay``), so an edit is in flight for at least that long; two
edits of the message whose answers arrive closer together than that were in flight at the same time.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from gamesched.app import App
from gamesched.core.config import Settings
from gamesched.core.queue import Job
from gamesched.games.announcer import REFRESH
from tests.bot.conftest import (
    Login,
    announcement,
    announcer,
    schedule,
    serving_bot,
)
from tests.world import World

ANSWER_DELAY = 0.3
#: A run of changes, one every half of the announcement edit's answer delay.
STORM_DELAY = 1.0
EDITS = 8


@pytest.fixture
async def second_process(bot_app: App, app_settings: Settings, tmp_path: Path) -> AsyncIterator[App]:
    """Another app on the same database whose bot connects to ``bot_app``'s sandbox."""
    settings = app_settings.with_overrides(data_dir=tmp_path / "second")
    async with serving_bot(settings, sandbox_url=bot_app.base_url) as app:
        yield app


def _edits(log: list[dict[str, Any]], message: dict[str, Any]) -> list[datetime]:
    """When Discord's answers to the edits of ``message`` that went through (not 429s) came back."""
    path = re.compile(rf"/channels/{message['channel_id']}/messages/{message['id']}$")
    return sorted(
        datetime.fromisoformat(e["at"])
        for e in log
        if e["method"] == "PATCH" and e["status"] < 400 and path.search(e["path"])
    )


def _overlapping(edits: list[datetime], delay: float) -> int:
    """Pairs of consecutive edits that were in flight together (answers closer than the answer delay)."""
    return sum((b - a).total_seconds() < delay * 0.9 for a, b in itertools.pairwise(edits))


async def test_both_processes_refreshing_one_game_edit_its_message_one_at_a_time(
    bot_app: App, second_process: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, title="One editor at a time", max_players=3)
    message = await announcement(api, game)
    await api.post("/faults", json={"answer_delay": ANSWER_DELAY})
    await api.delete("/log")
    job = Job(
        0, REFRESH, {"game_id": game["id"], "guild_id": world.guild_id()}, 1, 6, datetime.now(UTC), None
    )

    rounds = 3
    for _ in range(rounds):
        await asyncio.gather(*(announcer(app).refresh_announcement(job) for app in (bot_app, second_process)))
    edits = _edits((await api.get("/log")).json(), message)
    await api.post("/faults", json={"answer_delay": 0})

    assert _overlapping(edits, ANSWER_DELAY) == 0, f"edits in flight together: {edits}"
    assert len(edits) == 2 * rounds, "every refresh edits once"


async def test_edits_through_both_processes_are_coalesced_and_never_sent_two_at_once(
    bot_app: App, second_process: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    """The host keeps editing the game through either web process while an announcement edit is in flight
    (the sandbox answers each after a second): the next coalesced refresh comes due meanwhile, and either
    process may claim it."""
    game = await schedule(login, world, title="Edit 0", max_players=3)
    message = await announcement(api, game)
    first = await login("alice")
    second = httpx.AsyncClient(base_url=second_process.base_url, cookies=first.cookies, timeout=10)
    second.headers["x-csrftoken"] = first.cookies["csrftoken"]
    await api.post("/faults", json={"answer_delay": STORM_DELAY})
    await api.delete("/log")
    async with second:
        for n in range(1, EDITS + 1):
            through = first if n % 2 else second
            edited = await through.patch(f"/api/v1/games/{game['id']}", json={"title": f"Edit {n}"})
            assert edited.status_code == 200, edited.text
            await asyncio.sleep(STORM_DELAY / 2)

    final = await announcement(
        api, game, where=lambda m: m["embeds"][0]["title"] == f"Edit {EDITS}", within=30
    )
    await asyncio.sleep(2 * STORM_DELAY + 0.5)  # a refresh still in flight or due would show up by now
    edits = _edits((await api.get("/log")).json(), message)
    await api.post("/faults", json={"answer_delay": 0})

    assert _overlapping(edits, STORM_DELAY) == 0, f"edits in flight together: {edits}"
    assert len(edits) < EDITS, "the changes are coalesced into fewer edits"
    assert final["embeds"][0]["title"] == f"Edit {EDITS}"
