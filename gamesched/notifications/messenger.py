"""The port notifications talk to Discord through (implemented by the Discord adapter, gamesched/discord/bot_messenger.py)."""

from __future__ import annotations

from typing import Any, Protocol

import msgspec


class DirectMessage(msgspec.Struct, frozen=True, kw_only=True):
    """What one DM says: short text and an optional embed (Discord's JSON shape)."""

    content: str
    embed: dict[str, Any] | None = None


class DMsClosed(Exception):
    """Discord refused the DM for good: the user does not accept DMs from the bot (50007) or shares no server
    with it (50278)."""


class Messenger(Protocol):
    async def send_dm(self, user_id: int, message: DirectMessage) -> None:
        """Deliver a DM; raise DMsClosed, or RetryLater for rate limits and Discord outages."""
        ...

    async def post(self, channel_id: int, content: str, *, mention_user_ids: list[int]) -> None:
        """Post a plain message in a channel that pings exactly ``mention_user_ids``."""
        ...
