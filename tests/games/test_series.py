"""Recurring games through the JSON API, with the real app, the sandbox and an injected clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from gamesched.app import App
from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from gamesched.games import GameService
from tests.conftest import serving, wait_for_discord
from tests.login import login_as
from tests.world import World, fetch_world

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
async def clock() -> FakeClock:  # real time: the sandbox's OAuth and gateway use it
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def timed_app(app_settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    async with serving(app_settings.with_overrides(sandbox=True), clock=clock) as app:
        await wait_for_discord(app)
        yield app


@pytest.fixture
async def world(timed_app: App) -> World:
    return await fetch_world(timed_app.base_url)


def next_local(clock: FakeClock, days: int, hour: int = 19) -> datetime:
    """``days`` from now at ``hour``:00 Berlin time."""
    day = (clock.now() + timedelta(days=days)).astimezone(BERLIN).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


def series_body(world: World, first: datetime, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "guild_id": str(world.guild_id()),
        "channel_id": str(world.channel_id("board-games")),
        "title": "Weekly Catan",
        "scheduled_at": first.isoformat(),
        "time_zone": "Europe/Berlin",
        "rrule": "FREQ=WEEKLY",
        "lead_minutes": 3 * 24 * 60,
        "reminder_minutes": [],
    }
    return body | overrides


async def start_series(
    client: httpx.AsyncClient, world: World, first: datetime, **overrides: Any
) -> dict[str, Any]:
    made = await client.post("/api/v1/series", json=series_body(world, first, **overrides))
    assert made.status_code == 201, made.text
    return made.json()


async def series_games(
    client: httpx.AsyncClient, world: World, title: str = "Weekly Catan"
) -> list[dict[str, Any]]:
    listed = await client.get("/api/v1/games", params={"guild_id": world.guild_id(), "limit": 100})
    assert listed.status_code == 200, listed.text
    return [g for g in listed.json()["items"] if g["title"] == title]


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


async def test_the_first_game_is_made_at_once_and_the_next_at_its_lead_time_once(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    first = next_local(clock, 2)
    async with await login_as(timed_app.base_url, "alice") as alice:
        series = await start_series(alice, world, first)
        assert [o["status"] for o in series["upcoming"]] == [
            "scheduled",
            "planned",
            "planned",
            "planned",
            "planned",
        ]
        assert [at(o["scheduled_at"]).astimezone(BERLIN).hour for o in series["upcoming"]] == [19] * 5
        second = series["upcoming"][1]
        assert at(second["creates_at"]) == at(second["scheduled_at"]) - timedelta(days=3)
        assert len(await series_games(alice, world)) == 1

    clock.set(at(second["creates_at"]) - timedelta(minutes=1))
    await timed_app.dispatcher.run_due()
    clock.advance(minutes=2)
    await timed_app.dispatcher.run_due()
    await timed_app.dispatcher.run_due()  # a second run finds nothing left to do
    async with await login_as(timed_app.base_url, "alice") as alice:
        games = await series_games(alice, world)
        assert sorted(at(g["scheduled_at"]) for g in games) == [first, at(second["scheduled_at"])]
        shown = (await alice.get(f"/api/v1/series/{series['id']}")).json()
    # the first game is over by now: the list starts at the second, made, then the planned ones
    assert [o["status"] for o in shown["upcoming"]][:2] == ["scheduled", "planned"]
    assert shown["upcoming"][0]["recurrence_id"] == second["recurrence_id"]


async def test_the_lead_time_job_survives_a_restart(app_settings: Settings, clock: FakeClock) -> None:
    settings = app_settings.with_overrides(sandbox=True)
    async with serving(settings, clock=clock) as app:
        await wait_for_discord(app)
        world = await fetch_world(app.base_url)
        async with await login_as(app.base_url, "alice") as alice:
            series = await start_series(alice, world, next_local(clock, 2))
    clock.set(at(series["upcoming"][1]["creates_at"]) + timedelta(minutes=1))
    async with serving(settings, clock=clock) as app:  # a new process: only the queue remembers
        await wait_for_discord(app)
        await app.dispatcher.run_due()
        async with await login_as(app.base_url, "alice") as alice:
            assert len(await series_games(alice, world)) == 2


async def test_skipping_a_made_game_cancels_it_and_skipping_a_planned_one_leaves_it_out(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    async with await login_as(timed_app.base_url, "alice") as alice:
        series = await start_series(alice, world, next_local(clock, 2))
        made, planned = series["upcoming"][0], series["upcoming"][2]
        for occurrence in (made, planned):
            skipped = await alice.post(
                f"/api/v1/series/{series['id']}/skip", json={"occurrence": occurrence["recurrence_id"]}
            )
            assert skipped.status_code == 200, skipped.text
        game = (await alice.get(f"/api/v1/games/{made['game_id']}")).json()
        shown = {o["recurrence_id"]: o["status"] for o in skipped.json()["upcoming"]}
    assert game["status"] == "cancelled"
    assert shown[made["recurrence_id"]] == "cancelled"
    assert shown[planned["recurrence_id"]] == "skipped"


async def test_moving_one_game_moves_only_that_game(timed_app: App, world: World, clock: FakeClock) -> None:
    async with await login_as(timed_app.base_url, "alice") as alice:
        series = await start_series(alice, world, next_local(clock, 2))
        first = series["upcoming"][0]
        later = (at(first["scheduled_at"]) + timedelta(hours=1)).isoformat()
        moved = await alice.post(
            f"/api/v1/series/{series['id']}/move",
            json={"occurrence": first["recurrence_id"], "scheduled_at": later},
        )
        assert moved.status_code == 200, moved.text
        game = (await alice.get(f"/api/v1/games/{first['game_id']}")).json()
    assert at(game["scheduled_at"]) == at(later)
    upcoming = moved.json()["upcoming"]
    assert upcoming[0]["moved"] is True
    assert [at(o["scheduled_at"]).astimezone(BERLIN).hour for o in upcoming[1:]] == [19] * 4
    assert moved.json()["rrule"] == series["rrule"]


async def test_editing_the_series_changes_games_ahead_but_not_a_moved_one(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    async with await login_as(timed_app.base_url, "alice") as alice:
        series = await start_series(alice, world, next_local(clock, 1), lead_minutes=9 * 24 * 60)
        first, second = series["upcoming"][0], series["upcoming"][1]
        assert second["status"] == "scheduled"  # a 9-day lead made the second game too
        await alice.post(
            f"/api/v1/series/{series['id']}/move",
            json={
                "occurrence": first["recurrence_id"],
                "scheduled_at": (at(first["scheduled_at"]) + timedelta(hours=2)).isoformat(),
            },
        )
        new_start = next_local(clock, 1, hour=20)
        edited = await alice.patch(
            f"/api/v1/series/{series['id']}",
            json={"title": "Weekly Catan (new rules)", "scheduled_at": new_start.isoformat()},
        )
        assert edited.status_code == 200, edited.text
        moved_game = (await alice.get(f"/api/v1/games/{first['game_id']}")).json()
        second_game = (await alice.get(f"/api/v1/games/{second['game_id']}")).json()
    assert moved_game["title"] == "Weekly Catan"
    assert at(moved_game["scheduled_at"]).astimezone(BERLIN).hour == 21
    assert second_game["title"] == "Weekly Catan (new rules)"
    assert at(second_game["scheduled_at"]).astimezone(BERLIN).hour == 20
    assert [at(o["scheduled_at"]).astimezone(BERLIN).hour for o in edited.json()["upcoming"][1:]] == [20] * 4


@pytest.mark.parametrize("carry", [True, False])
async def test_confirmed_players_carry_to_the_next_game_only_when_asked(
    timed_app: App, world: World, clock: FakeClock, carry: bool
) -> None:
    async with await login_as(timed_app.base_url, "alice") as alice:
        series = await start_series(
            alice, world, next_local(clock, 1), lead_minutes=None, carry_roster=carry, duration_minutes=60
        )
        first = series["upcoming"][0]
        assert series["upcoming"][1]["status"] == "planned"
    async with await login_as(timed_app.base_url, "bob") as bob:
        assert (await bob.post(f"/api/v1/games/{first['game_id']}/join")).status_code == 200
    clock.set(at(first["scheduled_at"]) + timedelta(minutes=61))
    for _ in range(3):  # start, complete, then the series' next game
        await timed_app.dispatcher.run_due()
    async with await login_as(timed_app.base_url, "alice") as alice:
        shown = (await alice.get(f"/api/v1/series/{series['id']}")).json()
        following = shown["upcoming"][0]
        assert following["status"] == "scheduled"
        game = (await alice.get(f"/api/v1/games/{following['game_id']}")).json()
    players = [p["discord_id"] for p in game["participants"] if p["status"] == "confirmed"]
    assert players == ([str(world.user_id("bob"))] if carry else [])


@pytest.mark.parametrize(
    ("overrides", "field", "sentence"),
    [
        ({"rrule": "FREQ=FORTNIGHTLY"}, "rrule", "couldn't read the repeat rule"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20200101"}, "rrule", "ends before it starts"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "I don't know the time zone"),
    ],
)
async def test_a_bad_series_is_refused_with_a_sentence(
    timed_app: App, world: World, clock: FakeClock, overrides: dict[str, Any], field: str, sentence: str
) -> None:
    async with await login_as(timed_app.base_url, "alice") as alice:
        refused = await alice.post(
            "/api/v1/series", json=series_body(world, next_local(clock, 2), **overrides)
        )
        assert await series_games(alice, world) == []
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == field
    assert sentence in refused.json()["message"]


async def test_a_hosts_occurrences_in_a_window_are_listed_made_or_not(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    first = next_local(clock, 2)
    async with await login_as(timed_app.base_url, "alice") as alice:
        series = await start_series(alice, world, first)
    found = await timed_app.service(GameService).series.upcoming_for_host(
        world.user_id("alice"), clock.now(), clock.now() + timedelta(days=17)
    )
    assert [o.scheduled_at for o in found] == [first, first + timedelta(days=7), first + timedelta(days=14)]
    assert found[0].game_id == series["upcoming"][0]["game_id"]
    assert [o.game_id for o in found[1:]] == [None, None]
    assert (
        await timed_app.service(GameService).series.upcoming_for_host(
            world.user_id("bob"), clock.now(), clock.now() + timedelta(days=17)
        )
        == []
    )


async def test_two_runs_at_once_make_one_game_per_occurrence(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    async with await login_as(timed_app.base_url, "alice") as alice:
        series = await start_series(alice, world, next_local(clock, 2))
    clock.set(at(series["upcoming"][1]["creates_at"]) + timedelta(minutes=1))
    advance = timed_app.service(GameService).series.advance
    made = await asyncio.gather(*(advance(series["id"], guild_id=world.guild_id()) for _ in range(3)))
    assert sum(made) == 1  # as two processes' dispatchers running the same series would
    async with await login_as(timed_app.base_url, "alice") as alice:
        assert len(await series_games(alice, world)) == 2


async def test_moving_a_planned_game_into_the_past_is_refused_and_nothing_is_made(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    async with await login_as(timed_app.base_url, "alice") as alice:
        series = await start_series(alice, world, next_local(clock, 2))
        planned = series["upcoming"][2]
        refused = await alice.post(
            f"/api/v1/series/{series['id']}/move",
            json={
                "occurrence": planned["recurrence_id"],
                "scheduled_at": (clock.now() - timedelta(hours=1)).isoformat(),
            },
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["message"] == "The game must be scheduled in the future."
        shown = (await alice.get(f"/api/v1/series/{series['id']}")).json()
    assert shown["upcoming"][2]["status"] == "planned"


async def test_a_servers_series_are_listed_with_their_next_game_and_a_new_york_rule_keeps_its_time(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    new_york = ZoneInfo("America/New_York")
    first = datetime(2031, 10, 21, 19, 0, tzinfo=new_york)  # Tuesday; the clocks go back on 2 Nov 2031
    async with await login_as(timed_app.base_url, "alice") as alice:
        series = await start_series(
            alice,
            world,
            first,
            title="Fortnightly",
            time_zone="America/New_York",
            rrule="FREQ=WEEKLY;INTERVAL=2",
        )
        listed = (await alice.get("/api/v1/series", params={"guild_id": world.guild_id()})).json()["items"]
        page = (await alice.get(f"/guilds/{world.guild_id()}")).text
    assert [(s["title"], s["summary"]) for s in listed] == [("Fortnightly", "Every 2 weeks at 19:00")]
    assert at(listed[0]["next_at"]) == first
    starts = [at(o["scheduled_at"]).astimezone(new_york) for o in series["upcoming"]]
    assert [(s.strftime("%d %b"), s.hour, s.tzname()) for s in starts[:3]] == [
        ("21 Oct", 19, "EDT"),
        ("04 Nov", 19, "EST"),
        ("18 Nov", 19, "EST"),
    ]
    assert f'href="/series/{series["id"]}"' in page


async def test_a_skipped_day_stays_skipped_when_the_series_changes_its_time(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    async with await login_as(timed_app.base_url, "alice") as alice:
        series = await start_series(alice, world, next_local(clock, 2))
        planned = series["upcoming"][2]
        await alice.post(f"/api/v1/series/{series['id']}/skip", json={"occurrence": planned["recurrence_id"]})
        edited = await alice.patch(
            f"/api/v1/series/{series['id']}", json={"scheduled_at": next_local(clock, 2, hour=20).isoformat()}
        )
        assert edited.status_code == 200, edited.text
    third = edited.json()["upcoming"][2]
    assert third["status"] == "skipped"
    assert at(third["scheduled_at"]) == at(planned["scheduled_at"]) + timedelta(hours=1)
