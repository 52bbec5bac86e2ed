"""Channel references in free text: ``#name``, channel links and ``<#id>`` become Discord channel mentions."""

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
