"""Time zones people live in: IANA names (``Europe/Berlin``) checked against the system's tz database, and
times worded in a zone ("Sat 28 Nov, 20:00 CET", "19:00 Berlin time"). Storage stays UTC everywhere; a zone
only reads what people type and words what they are shown."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

#: The most a zone name may be (the longest IANA name is 32 characters).
MAX_ZONE_LENGTH = 64
#: How many zone names a Discord autocomplete may offer.
MAX_CHOICES = 25


@functools.cache
def zone_names() -> tuple[str, ...]:
    """Every IANA zone the system knows, sorted, without the legacy aliases ("US/Eastern", "EST5EDT")
    nobody should pick any more; UTC is kept."""
    names = {
        n
        for n in available_timezones()
        if "/" in n and not n.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    }
    return tuple(sorted(names | {"UTC"}))


@functools.cache
def _by_folded() -> dict[str, str]:
    return {n.casefold(): n for n in zone_names()}


def zone_named(name: str | None) -> ZoneInfo | None:
    """The zone called ``name`` (any case: "europe/berlin"), or None for anything else."""
    if not name or len(name) > MAX_ZONE_LENGTH:
        return None
    found = _by_folded().get(name.strip().casefold())
    if found is None:
        return None
    try:
        return ZoneInfo(found)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_choices(typed: str, limit: int = MAX_CHOICES) -> list[str]:
    """Zone names for what is being typed: those starting with it (or whose city does) first, then those
    holding it; spaces count as underscores ("new york" finds America/New_York)."""
    wanted = typed.strip().casefold().replace(" ", "_")
    if not wanted:
        return list(zone_names()[:limit])
    starts, holds = [], []
    for name in zone_names():
        folded = name.casefold()
        city = folded.rpartition("/")[2]
        if folded.startswith(wanted) or city.startswith(wanted):
            starts.append(name)
        elif wanted in folded:
            holds.append(name)
    return (starts + holds)[:limit]


def zone_place(zone: tzinfo) -> str:
    """How a zone is named in a sentence: "Berlin" for Europe/Berlin, "UTC" for UTC."""
    key = getattr(zone, "key", None) or "UTC"
    return key.rpartition("/")[2].replace("_", " ")


def zone_key(zone: tzinfo | None) -> str:
    return (getattr(zone, "key", None) if zone is not None else None) or "UTC"


def local_words(value: datetime, zone: tzinfo | None, style: str = "full") -> str:
    """``value`` as read in ``zone`` (UTC when None), with the zone's abbreviation as it is on that day
    ("Sat 28 Nov 2026, 20:00 CET"; "CEST" in summer)."""
    here = value.astimezone(zone or UTC)
    abbrev = here.tzname() or "UTC"
    if abbrev[:1] in "+-":  # zones without a letter abbreviation: "+0530" reads as "UTC+05:30"
        offset = here.strftime("%z")
        abbrev = f"UTC{offset[:3]}:{offset[3:]}" if offset[3:] != "00" else f"UTC{offset[:3]}"
    if style == "date":
        return here.strftime("%a %d %b %Y")
    if style == "time":
        return f"{here:%H:%M} {abbrev}"
    if style == "short":
        return f"{here:%d %b, %H:%M} {abbrev}"
    return f"{here:%a %d %b %Y, %H:%M} {abbrev}"


def place_time(value: datetime, zone: tzinfo | None) -> str:
    """ "Sat 28 Nov, 19:00 Berlin time" — a game's time as its host meant it, for DMs."""
    here = value.astimezone(zone or UTC)
    place = zone_place(zone or UTC)
    suffix = "UTC" if place == "UTC" else f"{place} time"
    return f"{here:%a %d %b, %H:%M} {suffix}"
