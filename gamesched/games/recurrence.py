"""Repeat rules, pure: RFC 5545 RRULE text checked, built from a form's choices, worded, and expanded.

A series repeats at a local wall-clock time in its IANA zone ("Tuesdays 19:00 Europe/Berlin"), so the rule
is expanded by python-dateutil on naive local times (DTSTART floating) and each occurrence is only then put
in the zone and turned into UTC: across a DST change the local time stays, the UTC time moves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

from dateutil.rrule import rrule, rrulestr

from gamesched.core.errors import Invalid

#: The longest rule text accepted.
RULE_MAX = 500
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
#: The time of day comes from the series' start, never from the rule.
TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", -1: "last"}
RepeatKind = Literal["weekly", "monthly_date", "monthly_position", "monthly_last"]
REPEAT_KINDS: tuple[RepeatKind, ...] = ("weekly", "monthly_date", "monthly_position", "monthly_last")


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for piece in text.split(";"):
        name, _, value = piece.partition("=")
        parts[name.strip().upper()] = value.strip()
    return parts


def check_rule(text: str, *, start: datetime, zone: tzinfo) -> str:
    """``text`` as stored (RRULE value, UNTIL as local floating time), or Invalid with a sentence.
    ``start`` is the series' first start (aware); it must come before the rule's end."""
    raw = " ".join(text.split())
    if raw.upper().startswith("RRULE:"):
        raw = raw[6:]
    if not raw:
        raise Invalid("Give the repeat rule, like FREQ=WEEKLY;BYDAY=TU.", field="rrule")
    if len(raw) > RULE_MAX:
        raise Invalid(f"Keep the repeat rule to {RULE_MAX} characters or fewer.", field="rrule")
    parts = _parts(raw)
    if parts.get("FREQ", "").upper() not in FREQUENCIES:
        raise Invalid(
            f"I couldn't read the repeat rule {raw!r}: it needs FREQ=WEEKLY or FREQ=MONTHLY "
            "(DAILY and YEARLY work too; a game repeats at most daily).",
            field="rrule",
        )
    if any(name in parts for name in TIME_PARTS):
        raise Invalid(
            "The repeat rule must leave out BYHOUR, BYMINUTE and BYSECOND: the time comes from the start.",
            field="rrule",
        )
    if "COUNT" in parts and "UNTIL" in parts:
        raise Invalid(
            "End the series after a number of games (COUNT) or on a date (UNTIL), not both.", field="rrule"
        )
    local_start = naive_local(start, zone)
    if until := parts.get("UNTIL"):
        parts["UNTIL"] = _floating_until(until, zone)
        if datetime.strptime(parts["UNTIL"], "%Y%m%dT%H%M%S") < local_start:
            raise Invalid(
                "The series ends before it starts: pick an end after the first game.", field="rrule"
            )
    stored = ";".join(f"{name}={value}" for name, value in parts.items())
    try:
        rule = parse_rule(stored, local_start)
    except (ValueError, TypeError, OverflowError) as error:
        raise Invalid(f"I couldn't read the repeat rule {raw!r}: {error}.", field="rrule") from None
    if rule.after(local_start, inc=True) is None:
        raise Invalid("This repeat rule gives no game on or after the start.", field="rrule")
    return stored


def _floating_until(value: str, zone: tzinfo) -> str:
    """UNTIL given in UTC (…Z) becomes local floating time, as RFC 5545 wants with a floating DTSTART."""
    try:
        if value.upper().endswith("Z"):
            moment = datetime.strptime(value.upper(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return moment.astimezone(zone).strftime("%Y%m%dT%H%M%S")
        if len(value) == 8:  # a date: the whole day counts
            return datetime.strptime(value, "%Y%m%d").strftime("%Y%m%dT235959")
        return datetime.strptime(value, "%Y%m%dT%H%M%S").strftime("%Y%m%dT%H%M%S")
    except ValueError:
        raise Invalid(
            f"I couldn't read the end {value!r}: write UNTIL=20261231 or UNTIL=20261231T235959Z.",
            field="rrule",
        ) from None


def parse_rule(stored: str, local_start: datetime) -> rrule:
    rule = rrulestr(stored, dtstart=local_start)
    assert isinstance(rule, rrule)  # one RRULE, no RDATE/EXDATE: rrulestr answers a plain rrule
    return rule


def naive_local(moment: datetime, zone: tzinfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0)


def to_utc(local: datetime, zone: tzinfo) -> datetime:
    """A local wall-clock time in ``zone`` → UTC. A time skipped by a DST change is read as the offset
    before it (zoneinfo's ``fold=0``), so 02:30 on the spring-forward night becomes 03:30 local."""
    return local.replace(tzinfo=zone).astimezone(UTC)


def expand(
    stored: str, local_start: datetime, zone: tzinfo, *, after: datetime, skip: Iterable[datetime] = ()
) -> Iterator[datetime]:
    """The rule's occurrences (UTC) later than ``after`` (UTC), soonest first, without those in ``skip``."""
    skipped = set(skip)
    rule = parse_rule(stored, local_start)
    # A day early, in local time: the comparison that counts is the UTC one below.
    begin = max(local_start, naive_local(after, zone) - timedelta(days=1))
    for local in rule.xafter(begin, inc=True):
        moment = to_utc(local, zone)
        if moment > after and moment not in skipped:
            yield moment


def build_rule(
    kind: str,
    start_local: datetime,
    *,
    interval: int = 1,
    weekdays: Iterable[str] = (),
    count: int | None = None,
    until: date | None = None,
) -> str:
    """A rule from a form's choices: every ``interval`` weeks on ``weekdays`` (default: the start's), or
    every ``interval`` months on the start's date, on its weekday's position ("3rd Thursday"), or on the
    last such weekday ("last Friday")."""
    if kind not in REPEAT_KINDS:
        raise Invalid("Pick how the game repeats.", field="repeat")
    day = WEEKDAYS[start_local.weekday()]
    if kind == "weekly":
        days = [d for d in WEEKDAYS if d in set(weekdays)] or [day]
        parts = ["FREQ=WEEKLY", f"INTERVAL={interval}", f"BYDAY={','.join(days)}"]
    elif kind == "monthly_date":
        parts = ["FREQ=MONTHLY", f"INTERVAL={interval}", f"BYMONTHDAY={start_local.day}"]
    elif kind == "monthly_position":
        parts = ["FREQ=MONTHLY", f"INTERVAL={interval}", f"BYDAY=+{(start_local.day - 1) // 7 + 1}{day}"]
    else:
        parts = ["FREQ=MONTHLY", f"INTERVAL={interval}", f"BYDAY=-1{day}"]
    if count is not None:
        parts.append(f"COUNT={count}")
    if until is not None:
        parts.append(f"UNTIL={datetime.combine(until, time(23, 59, 59)):%Y%m%dT%H%M%S}")
    return ";".join(parts)


def describe(stored: str, local_start: datetime) -> str:
    """The rule in words: "Every 2 weeks on Tuesday and Thursday at 19:00, 10 times"."""
    parts = _parts(stored)
    interval = int(parts.get("INTERVAL", "1") or 1)
    freq = parts.get("FREQ", "WEEKLY")
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}.get(freq, "week")
    words = f"Every {unit}" if interval == 1 else f"Every {interval} {unit}s"
    if byday := parts.get("BYDAY"):
        named = []
        for token in byday.split(","):
            position, code = token[:-2], token[-2:]
            name = DAY_NAMES[WEEKDAYS.index(code)] if code in WEEKDAYS else code
            if position:
                name = f"the {ORDINALS.get(int(position), position)} {name}"
            named.append(name)
        words += " on " + (
            " and ".join(named) if len(named) < 3 else ", ".join(named[:-1]) + " and " + named[-1]
        )
    elif monthday := parts.get("BYMONTHDAY"):
        words += f" on day {monthday}"
    words += f" at {local_start:%H:%M}"
    if count := parts.get("COUNT"):
        words += f", {count} times"
    if until := parts.get("UNTIL"):
        words += f", until {datetime.strptime(until[:8], '%Y%m%d'):%-d %b %Y}"
    return words
