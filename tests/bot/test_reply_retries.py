"""Discord answering the bot's reply with 429s or 500s: the reply is sent again while Discord still takes it,
so the member gets an answer instead of "This interaction failed" (found by ``make reliability``)."""

from __future__ import annotations

import httpx
import pytest

from tests.bot.conftest import Login, announcement, click, ephemeral_text, schedule
from tests.world import World


@pytest.mark.parametrize(
    "faults",
    [
        {"rest_429": 8},  # discord.py alone gives up after five
        {"rest_500": 5},  # discord.py alone waits 1 s, then 3 s: past Discord's 3-second window
    ],
    ids=["429-burst", "500-burst"],
)
async def test_a_click_is_answered_through_a_burst_of_errors(
    world: World, login: Login, api: httpx.AsyncClient, faults: dict[str, int]
) -> None:
    game = await schedule(login, world, max_players=4)
    message = await announcement(api, game)
    await api.delete("/log")

    await api.post("/faults", json=faults)
    answer = await click(api, world.user_id("bob"), message, f"game:join:{game['id']}")

    assert ephemeral_text(answer).startswith("You're in")
    assert (await api.get("/interactions/failed")).json() == []
    callbacks = [c["status"] for c in (await api.get("/log")).json() if c["path"].endswith("/callback")]
    assert callbacks[-1] < 300 and len(callbacks) > 1
