"""Games as RFC 5545 calendar data: one game's .ics file, a person's feed, and Google Calendar's form.

Written with the ``icalendar`` library: it escapes and folds lines, and builds the VTIMEZONE of any IANA
zone from the system's tz database, so an event keeps the game's own zone (``DTSTART;TZID=Europe/Berlin``)
and a calendar app shows a weekly 19:00 game at 19:00 on both sides of a daylight-saving change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import quote, urlencode

from icalendar import Alarm, Calendar, Event, vDuration

from gamesched.core.time_zones import zone_named
from gamesched.games.schedule import DEFAULT_DURATION_MINUTES
from gamesched.games.schemas import GameView
from gamesched.games.series_schemas import SeriesOccurrence

PRODID = "-//gamesched//games//EN"
#: Calendars need an end; when the host gave no duration, the one the game is taken to last (as the create
#: form says, and as the game's end is scheduled).
DEFAULT_DURATION = timedelta(minutes=DEFAULT_DURATION_MINUTES)
#: How often a subscribed calendar should fetch the feed again (RFC 7986 REFRESH-INTERVAL and Apple's
#: X-PUBLISHED-TTL; Google Calendar keeps its own pace, several hours).
FEED_REFRESH = timedelta(hours=1)

Seat = Literal["host", "confirmed", "waitlisted"]


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One game in a person's feed, with their place in it."""

    game: GameView
    seat: Seat
    #: The game's page on the dashboard.
    url: str
    server_name: str = ""
    #: Their place on the waitlist (1 = next in), when ``seat`` is "waitlisted".
    waitlist_position: int | None = None


@dataclass(frozen=True, slots=True)
class PlannedEntry:
    """A game a series someone hosts will make at its lead time, not made yet: in the host's feed, so the
    weeks ahead show in their calendar. Once made, the game itself takes its place."""

    occurrence: SeriesOccurrence
    #: The series' page on the dashboard.
    url: str
    server_name: str = ""


def render_calendar(game: GameView, *, url: str) -> str:
    """A VCALENDAR with the game's VEVENT (one VALARM per reminder) and the VTIMEZONE of its zone."""
    calendar = _calendar()
    calendar.add_component(game_event(game, url=url))
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()


def render_feed(entries: Iterable[FeedEntry | PlannedEntry], *, name: str) -> str:
    """A person's subscription: every entry as an event, each zone's VTIMEZONE once."""
    calendar = _calendar()
    calendar.add("name", name)  # RFC 7986
    calendar.add("x-wr-calname", name)  # what Apple and Google read
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))  # an X- property: icalendar would write text
    for entry in entries:
        calendar.add_component(
            _planned_event(entry) if isinstance(entry, PlannedEntry) else _feed_event(entry)
        )
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    return calendar


def _feed_event(entry: FeedEntry) -> Event:
    game = entry.game
    summary = game.title
    if entry.seat == "waitlisted":
        place = f" #{entry.waitlist_position}" if entry.waitlist_position else ""
        summary = f"{game.title} (waitlist{place})"
    # Reminders go to the waitlist only when the host asked for it: the calendar's alarms do the same.
    alarms = entry.seat != "waitlisted" or game.remind_waitlist
    event = game_event(game, url=entry.url, summary=summary, server_name=entry.server_name, alarms=alarms)
    if entry.seat == "waitlisted" and game.status != "cancelled":
        event["STATUS"] = "TENTATIVE"
    return event


def _planned_event(entry: PlannedEntry) -> Event:
    """A series' game still to be made: its time by the rule, a UID of its own (the series and the
    occurrence), no alarms (the game is made, with its reminders, well before they would ring)."""
    occurrence = entry.occurrence
    start = occurrence.scheduled_at
    minutes = occurrence.duration_minutes
    end = start + (timedelta(minutes=minutes) if minutes else DEFAULT_DURATION)
    event = Event()
    event.add("uid", f"series-{occurrence.series_id}-{start.astimezone(UTC):%Y%m%dT%H%M%SZ}@gamesched")
    event.add("dtstamp", start.astimezone(UTC))
    event.add("sequence", 0)
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", end.astimezone(UTC))
    event.add("summary", occurrence.title)
    where = f" on {entry.server_name}" if entry.server_name else ""
    event.add(
        "description",
        f"A game of your recurring series{where}, announced at the series' lead time.\n\n{entry.url}",
    )
    event.add("url", entry.url)
    event.add("status", "TENTATIVE")
    return event


def game_event(
    game: GameView, *, url: str, summary: str | None = None, server_name: str = "", alarms: bool = True
) -> Event:
    """The VEVENT of a game: the same UID whatever changes, SEQUENCE rising with each change."""
    zone = zone_named(game.time_zone) or UTC
    start, end = game_times(game)
    event = Event()
    event.add("uid", f"game-{game.id}@gamesched")
    event.add("dtstamp", game.updated_at.astimezone(UTC))
    event.add("created", game.created_at.astimezone(UTC))
    event.add("last-modified", game.updated_at.astimezone(UTC))
    # Every change of the game (edit, cancel, roster) raises its version, so calendars take the new copy.
    event.add("sequence", max(game.version - 1, 0))
    event.add("dtstart", start.astimezone(zone))
    event.add("dtend", end.astimezone(zone))
    event.add("summary", summary or game.title)
    event.add("description", _description(game, url=url, server_name=server_name))
    location = game_location(game)
    if location:
        event.add("location", location)
    event.add("url", url)
    event.add("status", "CANCELLED" if game.status == "cancelled" else "CONFIRMED")
    if alarms and game.status != "cancelled":
        for minutes in game.reminder_minutes:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", game.title)
            alarm.add("trigger", timedelta(minutes=-int(minutes)))
            event.add_component(alarm)
    return event


def game_times(game: GameView) -> tuple[datetime, datetime]:
    """The game's start and end (a default length when the host gave none)."""
    start = game.scheduled_at
    duration = timedelta(minutes=game.duration_minutes) if game.duration_minutes else DEFAULT_DURATION
    return start, start + duration


def game_location(game: GameView) -> str:
    """Where, as people read it: the host's text, else the channel (``#board-games``)."""
    return game.location.strip() or (f"#{game.channel_name}" if game.channel_name else "")


def _description(game: GameView, *, url: str, server_name: str) -> str:
    instructions = game.signup_instructions.strip()
    parts = (
        f"Cancelled: {game.cancel_reason.strip()}"
        if game.status == "cancelled" and game.cancel_reason.strip()
        else "Cancelled."
        if game.status == "cancelled"
        else "",
        f"Host: {game.host.display_name}" + (f" · {server_name}" if server_name else ""),
        game.description.strip(),
        f"Signup instructions:\n{instructions}" if instructions else "",
        url,
    )
    return "\n\n".join(part for part in parts if part)


def google_calendar_url(game: GameView, *, url: str = "") -> str:
    """Google Calendar's "add event" form for the game (texts as people read them: resolve markup first),
    shown in the game's zone."""
    start, end = game_times(game)
    details = "\n\n".join(part for part in (game.description[:1000], url) if part)
    fields = {
        "action": "TEMPLATE",
        "text": game.title[:200],
        "dates": f"{_utc(start)}/{_utc(end)}",
        "details": details,
        "location": game_location(game)[:200],
    }
    zone = zone_named(game.time_zone)
    if zone is not None:
        fields["ctz"] = zone.key
    return f"https://calendar.google.com/calendar/render?{urlencode(fields, quote_via=quote)}"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_filename(game: GameView) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in game.title).strip("-")[:60] or "game"
    return f"{safe}-{game.scheduled_at.astimezone(UTC):%Y-%m-%d}.ics"
