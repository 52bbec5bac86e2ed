"""Cloning a game through the JSON API, carrying its confirmed players and its waitlist over (no / yes / with
a deadline to confirm), and the drop of unconfirmed places at the deadline.

The app runs on a FakeClock: the deadline passes when the test moves the clock and runs what came due.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text as sql

from gamesched.app import App
from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from gamesched.games import GameService
from tests.conftest import serving, wait_for_discord
from tests.games.conftest import create_game, roster
from tests.login import login_as
from tests.world import World, fetch_world

_BUSY = sql("SELECT count(*) FROM jobs WHERE state = 'running' OR (state = 'pending' AND due_at <= :now)")
START = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def games_app(app_settings: Settings, fake_clock: FakeClock) -> AsyncIterator[App]:
    async with serving(app_settings.with_overrides(sandbox=True), clock=fake_clock) as app:
        await wait_for_discord(app)
        yield app


async def _settle(app: App, clock: FakeClock) -> None:
    while True:
        await app.dispatcher.run_due()
        async with app.db.uow(bypass_rls=True) as uow:
            busy = await uow.session.scalar(_BUSY, {"now": clock.now()})
        if not busy:
            return
        await asyncio.sleep(0.02)


@pytest.fixture
async def alice(games_app: App) -> AsyncIterator[httpx.AsyncClient]:
    async with await login_as(games_app.base_url, "alice") as client:
        yield client


async def _source(alice: httpx.AsyncClient, world: World) -> dict[str, Any]:
    """Two seats: Bob and Carol hold them, Dave waits."""
    return await create_game(
        alice,
        world,
        max_players=2,
        scheduled_at=(START + timedelta(days=2, hours=7)).isoformat(),
        initial_participants=["@bob", "@carol", "@dave"],
    )


async def _clone(alice: httpx.AsyncClient, game: dict[str, Any], **body: Any) -> httpx.Response:
    return await alice.post(f"/api/v1/games/{game['id']}/clone", json=body)


def _pending(game: dict[str, Any]) -> list[str]:
    return [p["display_name"] for p in game["participants"] if p["confirm_by"] is not None]


async def test_a_clone_carries_nobody_unless_asked_and_lands_a_week_on(
    games_app: App, alice: httpx.AsyncClient
) -> None:
    world = await fetch_world(games_app.base_url)
    source = await _source(alice, world)
    response = await _clone(alice, source)
    assert response.status_code == 201, response.text
    clone = response.json()
    assert clone["id"] != source["id"] and clone["title"] == source["title"]
    assert roster(clone) == ([], [])
    assert datetime.fromisoformat(clone["scheduled_at"]) == datetime.fromisoformat(
        source["scheduled_at"]
    ) + timedelta(days=7)


async def test_carrying_both_lists_keeps_the_roster_as_it_was(
    games_app: App, alice: httpx.AsyncClient
) -> None:
    world = await fetch_world(games_app.base_url)
    source = await _source(alice, world)
    clone = (await _clone(alice, source, confirmed="yes", waitlist="yes")).json()
    assert roster(clone) == (["Bobby", "Carol Chen"], ["Dave Dunn"])
    assert _pending(clone) == []


async def test_carrying_only_the_waitlist_gives_it_the_seats(
    games_app: App, alice: httpx.AsyncClient
) -> None:
    world = await fetch_world(games_app.base_url)
    source = await _source(alice, world)
    clone = (await _clone(alice, source, confirmed="no", waitlist="yes")).json()
    assert roster(clone) == (["Dave Dunn"], [])


async def test_carrying_only_the_confirmed_players_leaves_the_waitlist_behind(
    games_app: App, alice: httpx.AsyncClient
) -> None:
    world = await fetch_world(games_app.base_url)
    source = await _source(alice, world)
    clone = (await _clone(alice, source, confirmed="yes")).json()
    assert roster(clone) == (["Bobby", "Carol Chen"], [])


async def test_players_carried_with_a_deadline_hold_their_places_pending(
    games_app: App, alice: httpx.AsyncClient
) -> None:
    world = await fetch_world(games_app.base_url)
    source = await _source(alice, world)
    deadline = START + timedelta(hours=20)
    clone = (
        await _clone(
            alice, source, confirmed="deadline", waitlist="deadline", confirm_by=deadline.isoformat()
        )
    ).json()
    assert roster(clone) == (["Bobby", "Carol Chen"], ["Dave Dunn"])
    assert _pending(clone) == ["Bobby", "Carol Chen", "Dave Dunn"]
    assert {datetime.fromisoformat(p["confirm_by"]) for p in clone["participants"]} == {deadline}


async def test_at_the_deadline_unconfirmed_seats_go_to_the_waitlist(
    games_app: App, alice: httpx.AsyncClient, fake_clock: FakeClock
) -> None:
    world = await fetch_world(games_app.base_url)
    source = await _source(alice, world)
    deadline = START + timedelta(hours=20)
    clone = (
        await _clone(alice, source, confirmed="deadline", waitlist="yes", confirm_by=deadline.isoformat())
    ).json()
    async with await login_as(games_app.base_url, "bob") as bob:
        confirmed = await bob.post(f"/api/v1/games/{clone['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert _pending(confirmed.json()) == ["Carol Chen"]

    fake_clock.set(deadline - timedelta(seconds=1))
    await _settle(games_app, fake_clock)
    still = (await alice.get(f"/api/v1/games/{clone['id']}")).json()
    assert roster(still) == (["Bobby", "Carol Chen"], ["Dave Dunn"])

    fake_clock.set(deadline + timedelta(seconds=1))
    await _settle(games_app, fake_clock)
    after = (await alice.get(f"/api/v1/games/{clone['id']}")).json()
    assert roster(after) == (["Bobby", "Dave Dunn"], [])
    assert _pending(after) == []


async def test_an_unconfirmed_waitlist_place_is_dropped_at_the_deadline(
    games_app: App, alice: httpx.AsyncClient, fake_clock: FakeClock
) -> None:
    world = await fetch_world(games_app.base_url)
    source = await _source(alice, world)
    deadline = START + timedelta(hours=20)
    clone = (
        await _clone(alice, source, confirmed="yes", waitlist="deadline", confirm_by=deadline.isoformat())
    ).json()
    assert _pending(clone) == ["Dave Dunn"]
    fake_clock.set(deadline + timedelta(minutes=1))
    await _settle(games_app, fake_clock)
    after = (await alice.get(f"/api/v1/games/{clone['id']}")).json()
    assert roster(after) == (["Bobby", "Carol Chen"], [])


@pytest.mark.parametrize(
    ("confirm_by", "sentence"),
    [
        (None, "Pick the time by which carried players must confirm."),
        (START - timedelta(hours=1), "The confirmation deadline must be in the future."),
        (START + timedelta(days=20), "The confirmation deadline must be before the game starts."),
    ],
)
async def test_a_deadline_that_cannot_work_is_refused_with_a_sentence(
    games_app: App, alice: httpx.AsyncClient, confirm_by: datetime | None, sentence: str
) -> None:
    world = await fetch_world(games_app.base_url)
    source = await _source(alice, world)
    body: dict[str, Any] = {"confirmed": "deadline"}
    if confirm_by is not None:
        body["confirm_by"] = confirm_by.isoformat()
    response = await _clone(alice, source, **body)
    assert response.status_code == 422
    assert response.json()["message"] == sentence
    assert response.json()["field"] == "confirm_by"


async def test_only_the_host_or_a_manager_may_carry_the_players_over(
    games_app: App, alice: httpx.AsyncClient
) -> None:
    world = await fetch_world(games_app.base_url)
    source = await _source(alice, world)
    async with await login_as(games_app.base_url, "bob") as bob:
        response = await _clone(bob, source, confirmed="yes")
    assert response.status_code == 403


async def test_two_runs_of_the_deadline_at_once_drop_each_place_once(
    games_app: App, alice: httpx.AsyncClient, fake_clock: FakeClock
) -> None:
    """At-least-once delivery, or two processes: the second run finds nobody left to drop."""
    world = await fetch_world(games_app.base_url)
    source = await _source(alice, world)
    deadline = START + timedelta(hours=20)
    clone = (await _clone(alice, source, confirmed="deadline", confirm_by=deadline.isoformat())).json()
    fake_clock.set(deadline + timedelta(seconds=1))
    games = games_app.service(GameService)
    runs = [games.confirmations.drop_unconfirmed(clone["id"], guild_id=world.guild_id()) for _ in range(2)]
    assert sorted(await asyncio.gather(*runs)) == [0, 2]
    async with games_app.db.uow(guild_id=world.guild_id()) as uow:
        lapsed = await uow.session.scalar(
            sql(
                "SELECT count(*) FROM jobs WHERE kind = 'event.ConfirmationLapsed.send_lapsed_dm' AND payload->>'game_id' = :g"
            ),
            {"g": clone["id"]},
        )
    assert lapsed == 2  # one "you didn't confirm" DM each for Bob and Carol, not four


async def test_a_game_moved_to_start_before_the_deadline_still_drops_the_unconfirmed_then(
    games_app: App, alice: httpx.AsyncClient, fake_clock: FakeClock
) -> None:
    world = await fetch_world(games_app.base_url)
    source = await _source(alice, world)
    deadline = START + timedelta(hours=20)
    clone = (
        await _clone(alice, source, confirmed="deadline", waitlist="yes", confirm_by=deadline.isoformat())
    ).json()
    start = START + timedelta(hours=10)
    moved = await alice.patch(
        f"/api/v1/games/{clone['id']}", json={"scheduled_at": start.isoformat(), "duration_minutes": 1440}
    )
    assert moved.status_code == 200, moved.text
    fake_clock.set(start + timedelta(minutes=1))
    await _settle(games_app, fake_clock)
    assert (await alice.get(f"/api/v1/games/{clone['id']}")).json()["status"] == "in_progress"

    fake_clock.set(deadline + timedelta(minutes=1))
    await _settle(games_app, fake_clock)
    after = (await alice.get(f"/api/v1/games/{clone['id']}")).json()
    assert roster(after) == (["Dave Dunn"], [])
