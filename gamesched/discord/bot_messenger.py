"""Sends DMs and channel messages for the notifications module, mapping Discord's errors to queue outcomes."""

from __future__ import annotations

import discord
from discord.http import Route

from gamesched.core.queue import RetryLater
from gamesched.notifications import DirectMessage, DMChannelGone, DMsClosed

CANNOT_MESSAGE_USER = 50007  # 403: the user does not accept DMs from the bot
NO_MUTUAL_GUILDS = 50278  # 400: the user shares no server with the bot (left it, or never joined)
UNKNOWN_USER = 10013  # 404: no such user
UNKNOWN_CHANNEL = 10003  # 404: the channel is gone
#: Discord's answers that no retry can change: the DM is recorded as closed and the channel fallback used.
UNREACHABLE = (CANNOT_MESSAGE_USER, NO_MUTUAL_GUILDS, UNKNOWN_USER)
#: discord.py already retried rate limits and 5xx a few times; the queue tries again after this long.
RETRY_SECONDS = 30.0
#: DMs quote names and never ping anyone (discord.py's ``AllowedMentions.none()``, as JSON).
NO_MENTIONS_JSON: dict[str, list[str]] = {"parse": []}


class BotMessenger:
    """Implements ``gamesched.notifications.Messenger`` with the bot.

    DMs go through the bot's REST client (its rate-limit buckets, retries and our request pacer) but not
    through discord.py's models: a DM wave needs Discord's answer only for its status, so building a channel
    or a ``Message`` object per DM (a large part of a DM's cost in a wave) is skipped.
    """

    def __init__(self, bot: discord.Client) -> None:
        self.bot = bot

    async def open_dm(self, user_id: int) -> int:
        try:
            channel = await self.bot.http.start_private_message(user_id)
        except (discord.DiscordServerError, discord.RateLimited) as exc:
            raise RetryLater(RETRY_SECONDS, f"discord unavailable: {exc}") from exc
        except discord.HTTPException as exc:
            if exc.code in UNREACHABLE:
                raise DMsClosed(str(user_id)) from exc
            raise
        return int(channel["id"])

    async def send_dm(self, channel_id: int, message: DirectMessage, *, nonce: str) -> None:
        payload: dict[str, object] = {
            "content": message.content,
            "allowed_mentions": NO_MENTIONS_JSON,
            # Discord answers a repeated nonce with the first message instead of posting it again.
            "nonce": nonce,
            "enforce_nonce": True,
        }
        if message.embed:
            payload["embeds"] = [discord.Embed.from_dict(message.embed).to_dict()]
        if message.components:
            payload["components"] = message.components
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        try:
            await self.bot.http.request(route, json=payload)
        except (discord.DiscordServerError, discord.RateLimited) as exc:
            raise RetryLater(RETRY_SECONDS, f"discord unavailable: {exc}") from exc
        except discord.HTTPException as exc:
            if exc.code in UNREACHABLE:
                raise DMsClosed(str(channel_id)) from exc
            if exc.code == UNKNOWN_CHANNEL:
                raise DMChannelGone(str(channel_id)) from exc
            raise

    async def post(self, channel_id: int, content: str, *, mention_user_ids: list[int]) -> None:
        channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise TypeError(f"channel {channel_id} cannot receive messages")
        try:
            await channel.send(
                content=content,
                allowed_mentions=discord.AllowedMentions(
                    users=[discord.Object(u) for u in mention_user_ids], roles=False, everyone=False
                ),
            )
        except (discord.DiscordServerError, discord.RateLimited) as exc:
            raise RetryLater(RETRY_SECONDS, f"discord unavailable: {exc}") from exc
