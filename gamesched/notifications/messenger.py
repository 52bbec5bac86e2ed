"""The port notifications talk to Discord through (implemented by the Discord adapter, gamesched/discord/bot_messenger.py)."""

from __future__ import annotations

from typing import Any, Protocol

import msgspec


class DirectMessage(msgspec.Struct, frozen=True, kw_only=True):
    """What one DM says: short text, an optional embed, and optional buttons (Discord's JSON shapes; the
    buttons' custom ids name what they act on, so any process answers them)."""

    content: str
    embed: dict[str, Any] | None = None
    components: list[dict[str, Any]] | None = None


class DMsClosed(Exception):
    """Discord refused the DM for good: the user does not accept DMs from the bot (50007), shares no server
    with it (50278), or does not exist."""


class DMChannelGone(Exception):
    """Discord no longer knows a DM channel id we kept (10003): open the user's DM channel again."""


class Messenger(Protocol):
    async def open_dm(self, user_id: int) -> int:
        """The id of the bot's DM channel with the user (Discord keeps one per user, for good).

        Raises DMsClosed for a user the bot can never DM, RetryLater for rate limits and outages."""
        ...

    async def send_dm(self, channel_id: int, message: DirectMessage, *, nonce: str) -> None:
        """Send a DM into a DM channel. ``nonce`` makes a resend of the same DM (after a crash between
        sending and recording it) return the first message instead of posting a second one.

        Raises DMsClosed, DMChannelGone, or RetryLater for rate limits and Discord outages."""
        ...

    async def post(self, channel_id: int, content: str, *, mention_user_ids: list[int]) -> None:
        """Post a plain message in a channel that pings exactly ``mention_user_ids``."""
        ...
