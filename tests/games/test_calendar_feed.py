"""A person's calendar feed: one secret link that lists the games they host or are on the roster of, in
every server, read without a login the way a calendar app subscribes to it — parsed with ``icalendar``."""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from sqlalchemy import text

from gamesched.app import App
from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from tests.bot.conftest import eventually
from tests.conftest import serving, wait_for_discord
from tests.games.conftest import Login, create_game
from tests.login import login_as
from tests.world import World, fetch_world

BERLIN = ZoneInfo("Europe/Berlin")


async def feed_link(client: httpx.AsyncClient, *, reset: bool = True) -> str:
    """The link the settings page shows (made first with its button, as a person does)."""
    if reset:
        made = await client.post(
            "/settings/calendar-feed", data={"_csrf_token": client.cookies.get("csrftoken")}
        )
        assert made.status_code == 303, made.text
    page = await client.get("/settings", headers={"accept": "text/html"})
    found = re.search(r'id="feed-url" readonly value="([^"]+)"', page.text)
    assert found, "the settings page shows the link"
    return found.group(1)


async def read_feed(url: str) -> dict[str, Any]:
    """The feed's events by title, fetched by someone who is not logged in (a calendar app)."""
    async with httpx.AsyncClient() as app:
        response = await app.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


async def _in_other_guild(games_app: App, world: World, username: str) -> None:
    """``username`` joins oscar's Other Guild (as a member would in Discord)."""
    gid, uid = world.guild_id("Other Guild"), world.user_id(username)
    async with httpx.AsyncClient(base_url=f"{games_app.base_url}/sandbox/api") as sandbox:
        assert (await sandbox.put(f"/guilds/{gid}/members/{uid}", json={})).is_success


def _other(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "guild_id": str(world.guild_id("Other Guild")),
        "channel_id": str(world.channel_id("lobby", "Other Guild")),
        **fields,
    }


async def test_the_feed_lists_games_hosted_and_joined_across_servers_with_times_alarms_and_seats(
    games_app: App, world: World, login: Login
) -> None:
    await _in_other_guild(games_app, world, "alice")
    alice, oscar = await login("alice"), await login("oscar")
    other = f"/api/v1/guilds/{world.guild_id('Other Guild')}"

    async def member() -> bool:
        return (await alice.get(other)).status_code == 200

    await eventually(member)  # the bot follows the join
    start = datetime(datetime.now(UTC).year + 1, 7, 10, 19, tzinfo=BERLIN)
    hosted = await create_game(
        alice,
        world,
        title="Catan night",
        scheduled_at=start.astimezone(UTC).isoformat(),
        time_zone="Europe/Berlin",
        duration_minutes=120,
        reminder_minutes=[60, 15],
    )
    heist = await create_game(
        oscar, world, **_other(world, title="Harbour heist", max_players=4, reminder_minutes=[30])
    )
    full = await create_game(
        oscar, world, **_other(world, title="Tiny table", max_players=1, initial_participants=["@peggy"])
    )
    await create_game(oscar, world, **_other(world, title="Not alice's"))
    for game in (heist, full):
        assert (await alice.post(f"/api/v1/games/{game['id']}/join")).status_code == 200

    link = await feed_link(alice)
    events = await read_feed(link)
    assert set(events) == {"Catan night", "Harbour heist", "Tiny table (waitlist #1)"}

    catan = events["Catan night"]
    assert catan["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert catan.decoded("DTSTART") == start and (catan.decoded("DTSTART").hour == 19)
    assert catan.decoded("DTEND") - catan.decoded("DTSTART") == timedelta(hours=2)
    assert [a.decoded("TRIGGER") for a in catan.walk("VALARM")] == [
        timedelta(minutes=-60),
        timedelta(minutes=-15),
    ]
    assert str(catan["UID"]) == f"game-{hosted['id']}@gamesched"
    assert str(catan["LOCATION"]) == "#board-games"

    harbour = events["Harbour heist"]
    assert str(harbour["STATUS"]) == "CONFIRMED"
    assert str(harbour["LOCATION"]) == "#lobby"  # a channel name, not an id
    assert "Other Guild" in str(harbour["DESCRIPTION"])  # which server it is in
    assert [a.decoded("TRIGGER") for a in harbour.walk("VALARM")] == [timedelta(minutes=-30)]
    assert harbour.decoded("DTSTART") == datetime.fromisoformat(heist["scheduled_at"])

    waiting = events["Tiny table (waitlist #1)"]
    assert str(waiting["STATUS"]) == "TENTATIVE"
    assert not waiting.walk("VALARM"), "reminders skip the waitlist unless the host asks"


async def test_a_game_left_leaves_the_feed_and_a_cancelled_one_stays_marked_cancelled(
    games_app: App, world: World, login: Login
) -> None:
    alice, bob = await login("alice"), await login("bob")
    cancelled = await create_game(alice, world, title="Catan night")
    left = await create_game(alice, world, title="Gloomhaven")
    for game in (cancelled, left):
        assert (await bob.post(f"/api/v1/games/{game['id']}/join")).status_code == 200
    link = await feed_link(bob)
    before = await read_feed(link)
    assert set(before) == {"Catan night", "Gloomhaven"}

    assert (await bob.post(f"/api/v1/games/{left['id']}/leave")).status_code == 200
    assert (await alice.request("DELETE", f"/api/v1/games/{cancelled['id']}")).status_code == 200
    after = await read_feed(link)
    assert set(after) == {"Catan night"}
    assert str(after["Catan night"]["STATUS"]) == "CANCELLED"
    assert after["Catan night"]["SEQUENCE"] > before["Catan night"]["SEQUENCE"]


async def test_a_reset_or_turned_off_link_and_a_made_up_one_answer_404(
    games_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    await create_game(alice, world, title="Catan night")
    old = await feed_link(alice)
    assert await feed_link(alice, reset=False) == old, "the page shows the same link again"
    new = await feed_link(alice)
    assert new != old
    async with httpx.AsyncClient() as stranger:
        assert (await stranger.get(old)).status_code == 404
        assert (await stranger.get(new)).status_code == 200
        made_up = new.replace(new.split("/")[-2], secrets.token_urlsafe(20))
        assert (await stranger.get(made_up)).status_code == 404

        off = await alice.post(
            "/settings/calendar-feed/off", data={"_csrf_token": alice.cookies.get("csrftoken")}
        )
        assert off.status_code == 303
        assert (await stranger.get(new)).status_code == 404


async def test_an_unchanged_feed_answers_304_to_its_etag(games_app: App, world: World, login: Login) -> None:
    alice = await login("alice")
    await create_game(alice, world, title="Catan night")
    link = await feed_link(alice)
    async with httpx.AsyncClient() as app:
        first = await app.get(link)
        assert first.headers["cache-control"].startswith("private")
        assert "X-PUBLISHED-TTL:PT1H" in first.text and "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in first.text
        again = await app.get(link, headers={"if-none-match": first.headers["etag"]})
        assert again.status_code == 304
        await create_game(alice, world, title="Another night")
        changed = await app.get(link, headers={"if-none-match": first.headers["etag"]})
        assert changed.status_code == 200 and "Another night" in changed.text


async def test_the_feed_link_is_one_indexed_lookup_and_the_database_never_holds_it(
    games_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    link = await feed_link(alice)
    token = link.split("/")[-2]
    async with games_app.db.uow(bypass_rls=True) as uow:
        rows = (await uow.session.execute(text("SELECT salt, token_hash FROM calendar_feeds"))).all()
        await uow.session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table: ask for the index
        plan = "\n".join(
            (
                await uow.session.execute(
                    text("EXPLAIN SELECT user_id, salt FROM calendar_feeds WHERE token_hash = :h"),
                    {"h": b"x" * 32},
                )
            ).scalars()
        )
    assert all(token.encode() not in bytes(row.salt) + bytes(row.token_hash) for row in rows)
    assert "Index Scan using uq_calendar_feeds_token_hash" in plan, plan


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def clock_app(app_settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    async with serving(app_settings.with_overrides(sandbox=True), clock=clock) as app:
        await wait_for_discord(app)
        yield app


async def test_a_cancelled_game_stays_a_week_and_a_played_one_two_weeks_after_it_started(
    clock_app: App, clock: FakeClock
) -> None:
    world = await fetch_world(clock_app.base_url)
    async with await login_as(clock_app.base_url, "alice") as alice:
        start = clock.now() + timedelta(days=2)
        played = await create_game(alice, world, title="Played", scheduled_at=start.isoformat())
        dropped = await create_game(alice, world, title="Dropped", scheduled_at=start.isoformat())
        assert (await alice.request("DELETE", f"/api/v1/games/{dropped['id']}")).status_code == 200
        link = await feed_link(alice)

    clock.advance(days=6, hours=23)  # subscribed calendars have had a week to see it struck out
    assert set(await read_feed(link)) == {"Played", "Dropped"}
    clock.advance(hours=2)
    assert set(await read_feed(link)) == {"Played"}
    clock.set(start + timedelta(days=13, hours=23))  # last fortnight's game stays in the calendar
    assert set(await read_feed(link)) == {"Played"}
    clock.set(start + timedelta(days=14, hours=1))
    assert set(await read_feed(link)) == set()
    assert played["status"] == "scheduled"


async def test_a_hosts_feed_shows_the_games_their_series_will_make_and_drops_a_skipped_one(
    clock_app: App, clock: FakeClock
) -> None:
    world = await fetch_world(clock_app.base_url)
    day = (clock.now() + timedelta(days=2)).astimezone(BERLIN).date()
    first = datetime(day.year, day.month, day.day, 19, tzinfo=BERLIN)
    body = {
        "guild_id": str(world.guild_id()),
        "channel_id": str(world.channel_id("board-games")),
        "title": "Weekly Catan",
        "scheduled_at": first.isoformat(),
        "time_zone": "Europe/Berlin",
        "rrule": "FREQ=WEEKLY",
        "lead_minutes": 3 * 24 * 60,
        "reminder_minutes": [],
    }
    async with await login_as(clock_app.base_url, "alice") as alice:
        made = await alice.post("/api/v1/series", json=body)
        assert made.status_code == 201, made.text
        series = made.json()
        link = await feed_link(alice)

        async def events() -> list[Any]:
            async with httpx.AsyncClient() as app:
                response = await app.get(link)
            assert response.status_code == 200, response.text
            calendar = icalendar.Calendar.from_ical(response.content)
            return sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("DTSTART"))

        listed = await events()
        # The first game is made (its lead time has come); the next eight weeks are planned by the rule.
        assert [str(e["STATUS"]) for e in listed] == ["CONFIRMED"] + ["TENTATIVE"] * 8
        assert all(str(e["SUMMARY"]) == "Weekly Catan" for e in listed)
        starts = [e.decoded("DTSTART").astimezone(BERLIN) for e in listed]
        assert all((s.hour, s.minute) == (19, 0) for s in starts), "19:00 local across any DST change"
        assert [(b.date() - a.date()).days for a, b in itertools.pairwise(starts)] == [7] * 8
        planned = listed[1]
        assert str(planned["UID"]).startswith(f"series-{series['id']}-")
        assert f"/series/{series['id']}" in str(planned["URL"])

        skipped_at = planned.decoded("DTSTART").astimezone(UTC).isoformat()
        skipped = await alice.post(f"/api/v1/series/{series['id']}/skip", json={"occurrence": skipped_at})
        assert skipped.status_code == 200, skipped.text
        after = await events()
    assert planned.decoded("DTSTART") not in [e.decoded("DTSTART") for e in after]
    assert len(after) == len(listed) - 1
