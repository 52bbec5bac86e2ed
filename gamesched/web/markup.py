"""Jinja filters of the dashboard: local times, Discord markup, avatars, durations."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from gamesched.core.time_zones import local_words, zone_key

#: How a time is shown before the browser converts it to local time (and if scripts are off).
UTC_FORMATS = {
    "full": "%a %d %b %Y, %H:%M UTC",
    "date": "%a %d %b %Y",
    "time": "%H:%M UTC",
    "short": "%d %b, %H:%M UTC",
}
_MENTION = re.compile(r"&lt;(#|@&amp;|@!?)(\d{1,21})&gt;")
_PLAIN_MENTION = re.compile(r"<(#|@&|@!?)(\d{1,21})>")
#: A web address people typed: http or https only (never javascript:, data: and the like).
_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
#: Punctuation that ends a sentence rather than the address ("see https://x.org/rules.").
_URL_TAIL = ".,;:!?'\"*_~"


@dataclass(frozen=True, slots=True)
class Names:
    """Channel, role and member names of one guild, for turning ``<#id>`` into ``#name``."""

    channels: Mapping[int, str] = field(default_factory=dict)
    roles: Mapping[int, str] = field(default_factory=dict)
    members: Mapping[int, str] = field(default_factory=dict)


@pass_context
def local_time(context: Context, value: datetime | None, style: str = "full") -> Markup:
    """A ``<time>`` in the viewer's zone (``page.zone``: their choice, else their browser's), with the zone's
    abbreviation ("Sat 28 Nov 2026, 20:00 CET"). Without a zone (the first page before the browser said
    its zone) it is UTC, and static/app.js rewrites it in the browser's zone."""
    page = context.get("page")
    return zoned_time(value, getattr(page, "zone", None), style)


def zoned_time(value: datetime | None, zone: tzinfo | None, style: str = "full") -> Markup:
    if value is None:
        return Markup("")
    utc = value.astimezone(UTC)
    iso = utc.isoformat().replace("+00:00", "Z")
    if zone is None:
        text = utc.strftime(UTC_FORMATS.get(style, UTC_FORMATS["full"]))
        return Markup('<time datetime="{}" data-style="{}">{}</time>').format(iso, style, text)
    return Markup('<time datetime="{}" data-zone="{}">{}</time>').format(
        iso, zone_key(zone), local_words(value, zone, style)
    )


def iso_utc(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def discord_markup(text: str | None, names: Names | None = None) -> Markup:
    """Escape ``text``, show Discord mentions (``<#id>``, ``<@id>``, ``<@&id>``) as readable names and http(s)
    addresses as links (``rel="noopener nofollow ugc"``: typed by members, not vouched for)."""
    if not text:
        return Markup("")
    names = names or Names()

    def replace(match: re.Match[str]) -> str:
        label = _mention_label(match.group(1).replace("&amp;", "&"), int(match.group(2)), names)
        return f'<span class="mention">{escape(label)}</span>'

    def mentions(part: str) -> Markup:
        return Markup(_MENTION.sub(replace, str(escape(part))))

    parts: list[Markup] = []
    done = 0
    for match in _URL.finditer(text):
        url = _trim_url(match.group(0))
        parts.append(mentions(text[done : match.start()]))
        parts.append(Markup('<a href="{}" rel="noopener nofollow ugc">{}</a>').format(url, url))
        done = match.start() + len(url)
    parts.append(mentions(text[done:]))
    return Markup("").join(parts)


def _trim_url(url: str) -> str:
    """Without the sentence's closing punctuation, nor a closing bracket the address did not open."""
    while url and (url[-1] in _URL_TAIL or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url


def plain_mentions(text: str | None, names: Names | None = None) -> str:
    """``text`` with Discord mentions as readable names, as plain text (for links leaving the site, such as
    a Google Calendar event's location)."""
    if not text:
        return ""
    found = names or Names()
    return _PLAIN_MENTION.sub(lambda m: _mention_label(m.group(1), int(m.group(2)), found), text)


def _mention_label(kind: str, raw_id: int, names: Names) -> str:
    if kind == "#":
        return "#" + names.channels.get(raw_id, "unknown-channel")
    if kind == "@&":
        return "@" + names.roles.get(raw_id, "unknown-role")
    return "@" + names.members.get(raw_id, "unknown-user")


def calendar_dates(start: datetime, minutes: int | None = None) -> str:
    """Google Calendar's ``dates`` parameter: start/end in UTC basic format (an hour when no duration)."""
    begin = start.astimezone(UTC)
    end = begin + timedelta(minutes=minutes or 60)
    return f"{begin:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}"


def revision(stamp: datetime) -> int:
    """A change's time stamp as whole microseconds since the epoch: pages compare two renderings of one
    thing by it (app.js keeps the newer of two game panels whose answers crossed)."""
    delta = stamp.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return delta // timedelta(microseconds=1)


@functools.lru_cache(maxsize=4096)
def initials(name: str | None) -> str:
    """One or two letters for an avatar without a picture."""
    words = [w for w in re.split(r"[\s_.\-]+", name or "") if w]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:1].upper()
    return (words[0][:1] + words[-1][:1]).upper()


@functools.lru_cache(maxsize=4096)
def avatar_hue(key: object) -> int:
    """A stable colour per person, so initials avatars are told apart at a glance: a hue in steps of 15°,
    each with its class in app.css (``hue-0`` … ``hue-345``). Kept per key, as ``initials`` per name: a
    game page asks for both for each of its players, and they were 7 % of its CPU."""
    digits = sum(ord(ch) * (i + 1) for i, ch in enumerate(str(key)))
    return (digits * 47) % 24 * 15


def duration(minutes: int | None) -> str:
    if not minutes:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


FILTERS = {
    "local_time": local_time,
    "iso_utc": iso_utc,
    "calendar_dates": calendar_dates,
    "revision": revision,
    "discord": discord_markup,
    "plain_mentions": plain_mentions,
    "initials": initials,
    "avatar_hue": avatar_hue,
    "duration": duration,
    "plural": plural,
}
