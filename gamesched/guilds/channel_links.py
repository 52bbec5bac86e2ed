"""References in free text: ``#name``, channel links and ``<#id>`` become Discord channel mentions; ``:name:``
becomes the guild's custom emoji; ``@name`` a member (or role) mention when exactly one is called that."""

from __future__ import annotations

import re
from collections.abc import Mapping

_LINK = re.compile(r"https?://(?:\w+\.)?discord(?:app)?\.com/channels/(\d+)/(\d+)\b")
_NAME = re.compile(r"(?<![\w<])#([\w-]{1,100})")
_MENTION = re.compile(r"<#(\d{1,20})>")


def link_channels(text: str, *, guild_id: int, channels: Mapping[str, int]) -> str:
    """``#name`` (a channel of this guild) and links to this guild's channels → ``<#id>``; others kept."""

    def from_link(match: re.Match[str]) -> str:
        return f"<#{match.group(2)}>" if int(match.group(1)) == guild_id else match.group(0)

    def from_name(match: re.Match[str]) -> str:
        channel_id = channels.get(match.group(1).casefold())
        return f"<#{channel_id}>" if channel_id is not None else match.group(0)

    return _NAME.sub(from_name, _LINK.sub(from_link, text))


def unlink_channels(text: str, *, names: Mapping[int, str]) -> str:
    """``<#id>`` → ``#name`` for people editing the text (unknown channels keep the mention)."""
    return _MENTION.sub(
        lambda m: f"#{names[int(m.group(1))]}" if int(m.group(1)) in names else m.group(0), text
    )


_EMOJI = re.compile(r"(?<![<\w]):(\w{2,32}):(?!\d)")
#: ``@name`` of one word (nicks with spaces stay text); not inside an address (``a@b``) or ``<@…>``.
AT_NAME = re.compile(r"(?<![\w<@])@([\w.]{2,32})")
#: Not member names: Discord's own pings, which are never made from free text.
RESERVED_AT_NAMES = frozenset({"everyone", "here"})


def link_emojis(text: str, *, emojis: Mapping[str, str]) -> str:
    """``:name:`` of one of the guild's custom emoji → its markup; other ``:words:`` kept."""
    return _EMOJI.sub(lambda m: emojis.get(m.group(1), m.group(0)), text)


def at_names(text: str) -> set[str]:
    return {m.group(1) for m in AT_NAME.finditer(text) if m.group(1).casefold() not in RESERVED_AT_NAMES}


def link_at_names(text: str, *, mentions: Mapping[str, str]) -> str:
    """``@name`` → the mention ``mentions`` gives for it (keyed by the name casefolded); others kept."""
    return AT_NAME.sub(lambda m: mentions.get(m.group(1).casefold(), m.group(0)), text)
