"""An RFC 5545 calendar file for one game (no dependency: the subset we need is small)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

from gamesched.games.schedule import DEFAULT_DURATION_MINUTES
from gamesched.games.schemas import GameView

PRODID = "-//gamesched//games//EN"
#: Calendars need an end; when the host gave no duration, the one the game is taken to last (as the create
#: form says, and as the game's end is scheduled).
DEFAULT_DURATION = timedelta(minutes=DEFAULT_DURATION_MINUTES)
MAX_LINE_OCTETS = 75


def render_calendar(game: GameView, *, url: str) -> str:
    """A VCALENDAR with one VEVENT (and one VALARM per reminder), CRLF line endings, folded at 75 octets."""
    start = game.scheduled_at.astimezone(UTC)
    duration = timedelta(minutes=game.duration_minutes) if game.duration_minutes else DEFAULT_DURATION
    description = "\n\n".join(
        part
        for part in (
            f"Host: {game.host.display_name}",
            game.description.strip(),
            f"Signup instructions:\n{game.signup_instructions.strip()}"
            if game.signup_instructions.strip()
            else "",
            url,
        )
        if part
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:game-{game.id}@gamesched",
        f"DTSTAMP:{_utc(game.updated_at)}",
        f"SEQUENCE:{max(game.version - 1, 0)}",
        f"DTSTART:{_utc(start)}",
        f"DTEND:{_utc(start + duration)}",
        f"SUMMARY:{escape_text(game.title)}",
        f"DESCRIPTION:{escape_text(description)}",
    ]
    location = game.location.strip() or (f"#{game.channel_name}" if game.channel_name else "")
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    lines += [
        f"URL:{url}",
        f"STATUS:{'CANCELLED' if game.status == 'cancelled' else 'CONFIRMED'}",
    ]
    for minutes in game.reminder_minutes:
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{escape_text(game.title)}",
            f"TRIGGER:-PT{int(minutes)}M",
            "END:VALARM",
        ]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)


def escape_text(value: str) -> str:
    """TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon, comma, newline."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into 75-octet pieces (never inside a UTF-8 character), continued with a space."""
    pieces: list[str] = []
    current: list[str] = []
    size, limit = 0, MAX_LINE_OCTETS
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, MAX_LINE_OCTETS - 1  # continuation lines start with a space
        current.append(char)
        size += width
    pieces.append("".join(current))
    return "\r\n ".join(pieces)


def google_calendar_url(game: GameView) -> str:
    """Google Calendar's "add event" form for the game (texts as people read them: resolve markup first)."""
    start = game.scheduled_at.astimezone(UTC)
    duration = timedelta(minutes=game.duration_minutes) if game.duration_minutes else DEFAULT_DURATION
    location = game.location.strip() or (f"#{game.channel_name}" if game.channel_name else "")
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": game.title[:200],
            "dates": f"{_utc(start)}/{_utc(start + duration)}",
            "details": game.description[:1000],
            "location": location[:200],
        },
        quote_via=quote,
    )
    return f"https://calendar.google.com/calendar/render?{query}"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_filename(game: GameView) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in game.title).strip("-")[:60] or "game"
    return f"{safe}-{game.scheduled_at.astimezone(UTC):%Y-%m-%d}.ics"
