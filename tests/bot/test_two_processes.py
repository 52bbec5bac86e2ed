"""Two processes of one deployment, both connected to Discord: each interaction is answered exactly once.

Discord delivers every interaction to every gateway session of the bot. Here two apps share the database
and one sandbox (the second talks to the first's, as to Discord); clicks, a slash command and a form go
to both bots, and the sandbox's REST log shows how many answers each interaction got.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from gamesched.app import App
from gamesched.core.config import Settings
from tests.bot.conftest import (
    Login,
    announcement,
    click,
    command,
    ephemeral_text,
    eventually,
    messages,
    schedule,
    serving_bot,
)
from tests.world import World

SEATS = 3
JOINERS = 8
FILLING_IN = 0.3  # a person needs a moment to fill in a form
SEAT = re.compile(r"seat (\d+)/|you're #(\d+) on the waitlist")
CALLBACK = re.compile(r"/interactions/(\d+)/[^/]+/callback$")


class Claims:
    """Wraps one bot's claims: records what it won, and can be told to claim only after the other bot."""

    def __init__(self, app: App) -> None:
        bot = app.discord.bot
        assert bot is not None and bot.claim_interaction is not None
        self._submit: Callable[[int, Callable[[bool], None]], None] = bot.claim_interaction
        bot.claim_interaction = self.submit
        self.won: set[str] = set()
        self.asked = asyncio.Event()
        self.after: asyncio.Event | None = None
        self._waiting: set[asyncio.Task[None]] = set()

    def submit(self, interaction_id: int, decide: Callable[[bool], None]) -> None:
        def record(won: bool) -> None:
            if won:
                self.won.add(str(interaction_id))
            self.asked.set()
            decide(won)

        if self.after is None:
            self._submit(interaction_id, record)
        else:
            task = asyncio.create_task(self._submit_after(self.after, interaction_id, record))
            self._waiting.add(task)
            task.add_done_callback(self._waiting.discard)

    async def _submit_after(
        self, event: asyncio.Event, interaction_id: int, record: Callable[[bool], None]
    ) -> None:
        await event.wait()
        self._submit(interaction_id, record)


@pytest.fixture
async def second_process(bot_app: App, app_settings: Settings, tmp_path: Path) -> AsyncIterator[App]:
    """Another app on the same database whose bot connects to ``bot_app``'s sandbox."""
    settings = app_settings.with_overrides(data_dir=tmp_path / "second")
    async with serving_bot(settings, sandbox_url=bot_app.base_url) as app:
        yield app


async def test_two_processes_answer_every_click_command_and_form_exactly_once(
    bot_app: App, second_process: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    sessions = (await api.get("/gateway")).json()
    assert sum(s["connected"] for s in sessions) == 2, "both bots are connected to Discord"
    first, second = Claims(bot_app), Claims(second_process)
    game = await schedule(login, world, title="Two-process night", max_players=SEATS)
    message = await announcement(api, game)
    await api.delete("/log")
    people = _players(world)
    joiners, outsider = people[:JOINERS], people[JOINERS]

    # Everyone clicks Join at once; then four leave (two seated, two waiting) and someone never signed up.
    joined = await asyncio.gather(*(click(api, p, message, f"game:join:{game['id']}") for p in joiners))
    places = {p: _place(ephemeral_text(a)) for p, a in zip(joiners, joined, strict=True)}
    seated = sorted((p for p in joiners if places[p][0] == "confirmed"), key=lambda p: places[p][1])
    waiting = sorted((p for p in joiners if places[p][0] == "waitlisted"), key=lambda p: places[p][1])
    assert [places[p][1] for p in seated] == [1, 2, 3]
    assert [places[p][1] for p in waiting] == [1, 2, 3, 4, 5]
    leavers = [seated[0], seated[2], waiting[1], waiting[3]]
    left = await asyncio.gather(
        *(click(api, p, message, f"game:leave:{game['id']}") for p in [*leavers, outsider])
    )
    assert [ephemeral_text(a) for a in left] == [
        *(["You left **Two-process night**."] * len(leavers)),
        "You are not signed up for this game.",
    ]

    # A slash command, and /game create: the form opens once, and its submission schedules one game even
    # when the other process is the one that answers it.
    alice, rpg = world.user_id("alice"), world.channel_id("rpg")
    listed = (await command(api, alice, world.channel_id("board-games"), "list-games")).json()
    assert [f["name"] for f in listed["response"]["data"]["embeds"][0]["fields"]] == ["Two-process night"]
    form = (await command(api, alice, rpg, "game create")).json()
    assert form["response"]["type"] == 9
    opener, other = (first, second) if form["interaction_id"] in first.won else (second, first)
    await asyncio.sleep(FILLING_IN)
    other.asked.clear()
    opener.after = other.asked
    when = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    submitted = await api.post(
        "/interactions",
        json={
            "type": "modal",
            "user_id": str(alice),
            "channel_id": str(rpg),
            "custom_id": form["response"]["data"]["custom_id"],
            "values": {"title": "Formed once", "when": when, "description": "", "max_players": "4"},
        },
    )
    opener.after = None
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["interaction_id"] in other.won
    assert "Scheduled **Formed once**" in ephemeral_text(submitted.json())

    # Every interaction got exactly one answer, from the one process that won its claim.
    interactions = [*joined, *left, listed, form, submitted.json()]
    log = (await api.get("/log")).json()
    callbacks = [
        (m[1], e["status"]) for e in log if e["method"] == "POST" and (m := CALLBACK.search(e["path"]))
    ]
    answers = Counter(interaction_id for interaction_id, status in callbacks if status < 400)
    assert answers == Counter({i["interaction_id"]: 1 for i in interactions})
    assert (await api.get("/interactions/failed")).json() == []
    assert first.won.isdisjoint(second.won)
    assert first.won | second.won >= {i["interaction_id"] for i in interactions}
    # A first answer still on its way after its attempt's half second (a loaded machine) is sent again by
    # the same process, and Discord refuses the copy as already answered (discord_kit/replies.py): that is
    # the only refusal there may be. Answers from both processes would show in the claims above.
    refused = [interaction_id for interaction_id, status in callbacks if status >= 400]
    assert all(status == 400 for _, status in callbacks if status >= 400)
    assert set(refused) <= set(answers)

    # The roster is what the clicks said: the stayers in click order, the first three seated.
    async with await login("alice") as alice_web:
        final = (await alice_web.get(f"/api/v1/games/{game['id']}")).json()
        mine = (await alice_web.get("/api/v1/games", params={"guild_id": str(world.guild_id())})).json()
    stayers = [p for p in [*seated, *waiting] if p not in leavers]
    roster = [(p["discord_id"], p["status"]) for p in final["participants"]]
    assert roster == [(str(p), "confirmed" if n < SEATS else "waitlisted") for n, p in enumerate(stayers)]
    assert [g["title"] for g in mine["items"]].count("Formed once") == 1

    async def one_announcement() -> list[dict[str, Any]]:
        return [
            m for m in await messages(api, rpg) if m["embeds"] and m["embeds"][0]["title"] == "Formed once"
        ]

    assert len(await eventually(one_announcement)) == 1


def _players(world: World) -> list[int]:
    """Members of the Sandbox Guild other than alice and the bot."""
    bot = world.raw["bot_user"]["id"]
    alice = str(world.user_id("alice"))
    members = world.guild("Sandbox Guild")["members"]
    return [int(m["user_id"]) for m in members if m["user_id"] not in (bot, alice)]


def _place(text: str) -> tuple[str, int]:
    found = SEAT.search(text)
    assert found is not None, text
    return ("confirmed", int(found[1])) if found[1] else ("waitlisted", int(found[2]))
