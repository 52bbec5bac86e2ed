"""Reading the time people type ("tomorrow 8pm", "next friday 19:30", "Dec 5 7pm", "31/12/2026 20:00") in
their time zone, for /game create and the web form.

The natural forms are read by ``dateparser``: maintained, English (and many other languages) built in, its
data shipped with it so nothing is fetched, and it takes a time zone and a "now" to be relative to. ISO 8601
and a few plain forms are read first by the standard library, so exact input never goes through guessing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateparser.date import DateDataParser

from gamesched.core.errors import Invalid
from gamesched.core.time_zones import zone_key

BAD_TIME = (
    "I couldn't read {text!r} as a date and time. Write it like tomorrow 8pm, next friday 19:30, Dec 5 7pm, "
    "31/12/2026 20:00 or 2026-12-05 19:30 ({zone}; add a time zone like Europe/Berlin if you mean another)."
)
NO_TIME = "{text!r} names a day but no time. Add the time the game starts, like {text} 19:30."
#: Simple forms besides ISO 8601 (which ``datetime.fromisoformat`` reads, offsets included).
TIME_FORMS = ("%Y-%m-%d %H.%M", "%Y-%m-%d %I:%M %p", "%Y-%m-%d %I:%M%p", "%Y-%m-%d %I %p", "%Y-%m-%d %I%p")
DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_when(text: str, *, zone: tzinfo = UTC, now: datetime | None = None) -> datetime:
    """A moment from what people type, in ``zone`` unless the text names an offset or a time zone
    ("2026-12-05 19:30 Europe/Paris"): ISO 8601 (offset optional) and simple forms first, then natural
    dates ("tomorrow 8pm", "Dec 5 19:30", "31/12/2026 20:00": day before month) read by dateparser,
    relative to ``now``. A day without a time is refused rather than guessed."""
    raw = " ".join(text.split())
    if not raw:
        raise Invalid("Tell me when the game starts.", field="scheduled_at")
    body, named = _split_zone(raw)
    if DATE_ONLY.fullmatch(body):
        raise Invalid(NO_TIME.format(text=body), field="scheduled_at")
    moment = _read(body) or _read_natural(body, named or zone, now or datetime.now(UTC))
    if moment is None:
        raise Invalid(_bad_time(text, zone), field="scheduled_at")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=named or zone)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01 00:00 Asia/Tokyo is before the calendar's first day in UTC
        raise Invalid(_bad_time(text, zone), field="scheduled_at") from None


def _split_zone(raw: str) -> tuple[str, tzinfo | None]:
    head, _, last = raw.rpartition(" ")
    if not head:
        return raw, None
    if last.upper() in ("UTC", "GMT", "Z"):
        return head, UTC
    if "/" in last:
        try:
            return head, ZoneInfo(last)
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid(f"I don't know the time zone {last!r}.", field="scheduled_at") from None
    return raw, None


def _read_natural(body: str, zone: tzinfo, now: datetime) -> datetime | None:
    """ "tomorrow 8pm" and the like, with dateparser (its own data, no network), read in ``zone``."""
    name = getattr(zone, "key", None) or "UTC"
    parser = DateDataParser(
        languages=["en"],
        settings={
            "TIMEZONE": name,
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": now.astimezone(zone).replace(tzinfo=None),
            "DATE_ORDER": "DMY",
            "RETURN_TIME_AS_PERIOD": True,
        },
    )
    found = parser.get_date_data(body)
    if found.date_obj is None:
        return None
    if found.period != "time":
        raise Invalid(NO_TIME.format(text=body), field="scheduled_at")
    return found.date_obj


def _read(body: str) -> datetime | None:
    try:
        return datetime.fromisoformat(body)
    except ValueError:
        pass
    for form in TIME_FORMS:
        try:
            return datetime.strptime(body.upper() if "%p" in form else body, form)
        except ValueError:
            continue
    return None


def _bad_time(text: str, zone: tzinfo) -> str:
    key = zone_key(zone)
    said = "UTC" if key == "UTC" else f"read in your time zone, {key}"
    return BAD_TIME.format(text=text.strip(), zone=said)


def is_exact(text: str) -> bool:
    """Whether ``text`` is a plain date and time (ISO 8601 or a simple form) rather than natural words
    that dateparser interprets ("tomorrow 8pm"): those are echoed back for a confirmation first."""
    raw = " ".join(text.split())
    try:
        body, _ = _split_zone(raw)
    except Invalid:
        return True  # refused anyway, with its sentence
    return _read(body) is not None
