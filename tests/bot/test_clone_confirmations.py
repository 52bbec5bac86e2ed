"""A clone's carried-over players confirm or decline from a DM, with the real discord.py client against the
sandbox: the DM's buttons, the announcement's pending marks, the waitlist moving up, the buttons after a
restart, and the drop at the deadline (on a FakeClock, without waiting)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from gamesched.app import App
from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from tests.bot.conftest import (
    Login,
    announcement,
    buttons,
    click,
    dms,
    ephemeral_text,
    eventually,
    roster_lines,
    schedule,
    serving_bot,
)
from tests.bot.test_dm_relevance import _settle
from tests.games.conftest import in_days
from tests.login import login_as
from tests.world import World, fetch_world


async def _clone_with_deadline(
    client: httpx.AsyncClient, world: World, *, confirm_by: datetime, waitlist: str = "yes"
) -> dict[str, Any]:
    """Alice's two-seat game (Bob and Carol in, Dave waiting) cloned; the seated must confirm."""
    source = await _source(client, world)
    response = await client.post(
        f"/api/v1/games/{source['id']}/clone",
        json={"confirmed": "deadline", "waitlist": waitlist, "confirm_by": confirm_by.isoformat()},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _source(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/games",
        json={
            "guild_id": str(world.guild_id()),
            "channel_id": str(world.channel_id("board-games")),
            "title": "Catan night",
            "scheduled_at": in_days(2),
            "max_players": 2,
            "initial_participants": ["@bob", "@carol", "@dave"],
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _asked(api: httpx.AsyncClient, user_id: int, game: dict[str, Any]) -> dict[str, Any]:
    """The DM asking ``user_id`` to confirm their place in ``game``."""

    async def found() -> dict[str, Any] | None:
        for message in await dms(api, user_id):
            if any(b.get("custom_id") == f"game:confirm:{game['id']}" for b in buttons(message)):
                return message
        return None

    result: dict[str, Any] = await eventually(found)
    return result


async def test_a_carried_player_confirms_from_the_dm_and_the_announcement_stops_showing_them_pending(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    alice = await login("alice")
    clone = await _clone_with_deadline(alice, world, confirm_by=datetime.now(UTC) + timedelta(days=1))
    bob = world.user_id("bob")
    asked = await _asked(api, bob, clone)
    assert "Will you play?" in asked["content"] and "seat 1 of 2" in asked["content"]
    assert [b["label"] for b in buttons(asked)] == ["Confirm", "Decline"]
    posted = await announcement(api, clone)
    assert [("to confirm by" in line) for line in roster_lines(posted, "Players")] == [True, True]

    answer = await click(api, bob, asked, f"game:confirm:{clone['id']}")
    assert ephemeral_text(answer) == "Confirmed: you're in **Catan night** — seat 1/2."
    again = await click(api, bob, asked, f"game:confirm:{clone['id']}")
    assert ephemeral_text(again).startswith("Already confirmed: ")

    def bob_confirmed(message: dict[str, Any]) -> bool:
        lines = roster_lines(message, "Players")
        return "to confirm" not in lines[0] and "to confirm" in lines[1]

    await announcement(api, clone, where=bob_confirmed)


async def test_declining_from_the_dm_gives_the_seat_to_the_waitlist(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    alice = await login("alice")
    clone = await _clone_with_deadline(alice, world, confirm_by=datetime.now(UTC) + timedelta(days=1))
    carol, dave = world.user_id("carol"), world.user_id("dave")
    asked = await _asked(api, carol, clone)

    answer = await click(api, carol, asked, f"game:decline:{clone['id']}")
    assert ephemeral_text(answer) == (
        "You declined **Catan night**: your place goes to the next player on the waitlist."
    )
    now = (await alice.get(f"/api/v1/games/{clone['id']}")).json()
    assert [(p["display_name"], p["status"]) for p in now["participants"]] == [
        ("Bobby", "confirmed"),
        ("Dave Dunn", "confirmed"),
    ]

    async def promoted() -> list[str]:
        return [m["content"] for m in await dms(api, dave) if "a seat opened up" in m["content"]]

    [text] = await eventually(promoted)
    assert "**Catan night**" in text


async def test_the_confirm_button_still_works_after_a_restart(app_settings: Settings) -> None:
    async with serving_bot(app_settings) as first:
        world = await fetch_world(first.base_url)
        async with await login_as(first.base_url, "alice") as alice:
            clone = await _clone_with_deadline(alice, world, confirm_by=datetime.now(UTC) + timedelta(days=1))
        async with httpx.AsyncClient(base_url=f"{first.base_url}/sandbox/api") as api:
            asked = await _asked(api, world.user_id("bob"), clone)

    async with (
        serving_bot(app_settings) as second,
        httpx.AsyncClient(base_url=f"{second.base_url}/sandbox/api", timeout=10) as api,
    ):
        answer = await click(api, world.user_id("bob"), asked, f"game:confirm:{clone['id']}")
        assert ephemeral_text(answer) == "Confirmed: you're in **Catan night** — seat 1/2."
        declined = await click(
            api,
            world.user_id("carol"),
            await _asked(api, world.user_id("carol"), clone),
            f"game:decline:{clone['id']}",
        )
        assert ephemeral_text(declined).startswith("You declined **Catan night**")


# -- the deadline, on a FakeClock -------------------------------------------------------------------------


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


async def test_at_the_deadline_the_unconfirmed_are_told_and_the_waitlist_moves_up(
    app_settings: Settings, fake_clock: FakeClock
) -> None:
    async with (
        serving_bot(app_settings, join_dm_delay=60, clock=fake_clock) as app,
        httpx.AsyncClient(base_url=f"{app.base_url}/sandbox/api", timeout=10) as api,
    ):
        world = await fetch_world(app.base_url)
        deadline = fake_clock.now() + timedelta(hours=3)
        async with await login_as(app.base_url, "alice") as alice:
            clone = await _clone_with_deadline(alice, world, confirm_by=deadline)
        await _settle(app, fake_clock)
        bob, carol, dave = (world.user_id(name) for name in ("bob", "carol", "dave"))
        await click(api, bob, await _asked(api, bob, clone), f"game:confirm:{clone['id']}")

        fake_clock.set(deadline + timedelta(seconds=1))
        await _settle(app, fake_clock)

        async def texts(user_id: int, words: str) -> list[str]:
            return [m["content"] for m in await dms(api, user_id) if words in m["content"]]

        [dropped] = await eventually(lambda: texts(carol, "didn't confirm"))
        assert "**Catan night**" in dropped
        [promoted] = await eventually(lambda: texts(dave, "a seat opened up"))
        assert "**Catan night**" in promoted
        assert await texts(bob, "didn't confirm") == []
        async with await login_as(app.base_url, "alice") as alice:
            now = (await alice.get(f"/api/v1/games/{clone['id']}")).json()
        assert [(p["display_name"], p["status"], p["confirm_by"]) for p in now["participants"]] == [
            ("Bobby", "confirmed", None),
            ("Dave Dunn", "confirmed", None),
        ]


async def test_a_player_added_by_hand_is_not_asked_to_confirm(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, initial_participants=["@erin"])
    await announcement(api, game)
    erin = world.user_id("erin")
    await eventually(lambda: dms(api, erin), within=10)
    assert all(not buttons(m) for m in await dms(api, erin))
