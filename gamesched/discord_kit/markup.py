"""Discord message markup the modules share, so every DM, reply and embed words a time the same way."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from gamesched.core.time_zones import place_time, zone_named


def format_when(at: datetime, zone: str | None = None) -> str:
    """Full date and time, then how far off it is, each shown in the reader's own time zone by Discord; with
    ``zone`` (a game's, its host's) also the time as the host meant it: "…, Sat 28 Nov, 19:00 Berlin time"."""
    stamp = int(at.timestamp())
    said = f"<t:{stamp}:F> (<t:{stamp}:R>)"
    found = zone_named(zone)
    if found is None or found.key == "UTC":
        return said
    return f"{said}, {place_time(at, found)}"


#: Discord's markup for channels, roles, members and custom emoji: ``<#id>``, ``<@&id>``, ``<@id>``
#: (``<@!id>``), ``<:name:id>`` (``<a:name:id>`` when animated).
MARKUP = re.compile(r"<(?P<kind>#|@&|@!?)(?P<id>\d{1,21})>|<a?:(?P<emoji>\w{1,32}):\d{1,21}>")


def mentioned_ids(kind: str, *texts: str) -> set[int]:
    """The ids ``texts`` mention with ``kind``: ``@`` members (``<@id>``, ``<@!id>``), ``@&`` roles, ``#``
    channels; to look their names up once."""
    kinds = ("@", "@!") if kind == "@" else (kind,)
    return {int(m["id"]) for text in texts for m in MARKUP.finditer(text) if m["kind"] in kinds}


def readable(
    text: str,
    *,
    channels: Mapping[int, str],
    roles: Mapping[int, str],
    members: Mapping[int, str],
) -> str:
    """``text`` for places outside Discord (a calendar, a link): ``#board-games``, ``@Game Host``,
    ``@Erin the Bold`` and ``:dice:`` instead of Discord's markup."""

    def replace(match: re.Match[str]) -> str:
        if match["emoji"] is not None:
            return f":{match['emoji']}:"
        kind, raw_id = match["kind"], int(match["id"])
        if kind == "#":
            return "#" + channels.get(raw_id, "unknown-channel")
        if kind == "@&":
            return "@" + roles.get(raw_id, "unknown-role")
        return "@" + members.get(raw_id, "unknown-user")

    return MARKUP.sub(replace, text)
