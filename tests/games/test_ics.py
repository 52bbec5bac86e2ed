"""A game's .ics file, read back with a real parser (``icalendar``) as a calendar app would: its time in the
game's own zone on both sides of a daylight-saving change, one alarm per reminder, a SEQUENCE that rises
with each change under the same UID, and STATUS:CANCELLED once cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import icalendar

from gamesched.app import App
from gamesched.games.calendar import calendar_token
from tests.games.conftest import Login, create_game
from tests.world import World

BERLIN = ZoneInfo("Europe/Berlin")


def _next(month: int, day: int, hour: int) -> datetime:
    """The next ``day``.``month`` at ``hour``:00 Berlin time (next year: always ahead of the real clock)."""
    return datetime(datetime.now(UTC).year + 1, month, day, hour, tzinfo=BERLIN)


async def _event(client: httpx.AsyncClient, game: dict[str, Any]) -> tuple[icalendar.Calendar, Any]:
    response = await client.get(f"/api/v1/games/{game['id']}/calendar.ics")
    assert response.status_code == 200, response.text
    calendar = icalendar.Calendar.from_ical(response.content)
    [event] = calendar.walk("VEVENT")
    return calendar, event


async def test_the_calendar_file_keeps_the_games_zone_so_19_00_stays_19_00_across_daylight_saving(
    games_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    for month in (1, 7):  # CET (UTC+1) and CEST (UTC+2)
        start = _next(month, 15, 19)
        game = await create_game(
            alice,
            world,
            scheduled_at=start.astimezone(UTC).isoformat(),
            time_zone="Europe/Berlin",
            duration_minutes=150,
            reminder_minutes=[60, 15],
        )
        calendar, event = await _event(alice, game)
        assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
        begins, ends = event.decoded("DTSTART"), event.decoded("DTEND")
        assert (begins.hour, begins.minute) == (19, 0), "19:00 on the wall clock in Berlin, winter and summer"
        assert begins == start and ends - begins == timedelta(minutes=150)
        assert begins.utcoffset() == timedelta(hours=1 if month == 1 else 2)
        [zone] = calendar.walk("VTIMEZONE")  # the zone travels with the file: no app has to guess it
        assert str(zone["TZID"]) == "Europe/Berlin"
        alarms = [alarm.decoded("TRIGGER") for alarm in event.walk("VALARM")]
        assert alarms == [timedelta(minutes=-60), timedelta(minutes=-15)]
        assert str(event["STATUS"]) == "CONFIRMED"


async def test_a_game_without_a_zone_is_written_in_utc(games_app: App, world: World, login: Login) -> None:
    alice = await login("alice")
    start = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=3)
    game = await create_game(alice, world, scheduled_at=start.isoformat())
    calendar, event = await _event(alice, game)
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert not calendar.walk("VTIMEZONE")


async def test_an_edit_raises_the_sequence_under_the_same_uid_and_a_cancel_marks_it_cancelled(
    games_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    game = await create_game(alice, world, reminder_minutes=[30])
    _, first = await _event(alice, game)

    moved = _next(3, 28, 20)  # the day before Berlin's clocks go forward
    edited = await alice.patch(
        f"/api/v1/games/{game['id']}",
        json={"title": "Catan night, moved", "scheduled_at": moved.astimezone(UTC).isoformat()},
    )
    assert edited.status_code == 200, edited.text
    _, second = await _event(alice, game)
    assert str(second["UID"]) == str(first["UID"])
    assert second["SEQUENCE"] > first["SEQUENCE"]
    assert str(second["SUMMARY"]) == "Catan night, moved"
    assert second.decoded("DTSTART") == moved

    cancelled = await alice.request("DELETE", f"/api/v1/games/{game['id']}", json={"reason": "Host is ill"})
    assert cancelled.status_code == 200, cancelled.text
    _, third = await _event(alice, game)
    assert str(third["UID"]) == str(first["UID"])
    assert third["SEQUENCE"] > second["SEQUENCE"]
    assert str(third["STATUS"]) == "CANCELLED"
    assert "Host is ill" in str(third["DESCRIPTION"])
    assert not third.walk("VALARM"), "no alarm for a game that will not happen"


async def test_any_text_the_host_types_reads_back_unchanged(
    games_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    title = "Dice; cards, and \\ backslashes — 🎲é " + "x" * 120
    description = "Line one\nLine two; with, commas\r\nand a \\n that is not a newline"
    game = await create_game(alice, world, title=title, description=description, location="Bob's; flat, 2F")
    _, event = await _event(alice, game)
    assert str(event["SUMMARY"]) == title
    assert description.replace("\r\n", "\n") in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "Bob's; flat, 2F"
    assert f"/games/{game['id']}" in str(event["DESCRIPTION"])  # the link back to the game


async def test_the_google_calendar_link_opens_in_the_games_zone_with_a_link_back(
    games_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    start = _next(7, 15, 19)
    game = await create_game(
        alice, world, scheduled_at=start.astimezone(UTC).isoformat(), time_zone="Europe/Berlin"
    )
    token = calendar_token(games_app.settings.secret_key or "", game["id"])
    async with httpx.AsyncClient(base_url=games_app.base_url) as stranger:  # as clicked in Discord
        google = await stranger.get(f"/calendar/{game['id']}/{token}/google")
    assert google.status_code == 302
    query = parse_qs(urlsplit(google.headers["location"]).query)
    assert query["ctz"] == ["Europe/Berlin"]
    assert query["dates"] == [
        f"{start.astimezone(UTC):%Y%m%dT%H%M%SZ}/{start.astimezone(UTC) + timedelta(hours=1):%Y%m%dT%H%M%SZ}"
    ]
    assert query["details"][0].endswith(f"/games/{game['id']}")
