"""What the bot may do in a guild channel, checked the way Discord answers the REST routes it uses.

- It cannot see the channel (no VIEW_CHANNEL): 403 Missing Access (50001), whatever the route.
- Creating a message: a category (or any channel without messages) is 400 50008; no SEND_MESSAGES is
  403 Missing Permissions (50013).
- Embeds without EMBED_LINKS: Discord does not refuse the message, it drops the embeds (the message comes back
  with ``embeds: []``, so nobody sees them). A message left with nothing else in it is refused: on create with
  403 50013 (discord/discord-api-docs#2601), on edit as an empty message, 400 50006 (#5648).
- Editing its own message needs no SEND_MESSAGES (Discord: "Send Messages restricts sending new messages, but
  does not prevent existing messages from being updated or deleted", discord-api-docs#3096).
- Deleting someone else's message needs MANAGE_MESSAGES (50013).
- Reading: the message list is empty without READ_MESSAGE_HISTORY; one message needs it (50013).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..state.errors import (
    CANNOT_SEND_EMPTY_MESSAGE,
    CANNOT_SEND_IN_NON_TEXT_CHANNEL,
    DiscordError,
    missing_access,
    missing_permissions,
)
from ..state.model import (
    EMBED_LINKS,
    MANAGE_MESSAGES,
    MESSAGEABLE_CHANNEL_TYPES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
)

if TYPE_CHECKING:
    from ..core.sandbox import Sandbox
    from ..state.model import Channel, Message


def bot_permissions(sandbox: Sandbox, channel: Channel) -> int:
    """The bot's permissions in a guild channel; 403 Missing Access when it cannot see the channel."""
    bits = sandbox.state.channel_permissions(channel.id, sandbox.state.application.bot_user_id)
    if not bits & VIEW_CHANNEL:
        raise missing_access()
    return bits


def _require(bits: int, needed: int) -> None:
    if bits & needed != needed:
        raise missing_permissions()


def check_view(sandbox: Sandbox, channel: Channel) -> None:
    """The bot must see a guild channel (GET the channel, typing and the like)."""
    if channel.guild_id is not None:
        bot_permissions(sandbox, channel)


def check_create(sandbox: Sandbox, channel: Channel, payload: dict[str, Any]) -> dict[str, Any]:
    """May the bot post this in a guild channel? Returns the payload Discord keeps (embeds may be dropped)."""
    bits = bot_permissions(sandbox, channel)
    if channel.type not in MESSAGEABLE_CHANNEL_TYPES:
        raise DiscordError(400, CANNOT_SEND_IN_NON_TEXT_CHANNEL, "Cannot send messages in a non-text channel")
    _require(bits, SEND_MESSAGES)
    kept = _without_embeds_unless_allowed(bits, payload)
    if kept is not payload and not _has_body(kept):
        raise missing_permissions()
    return kept


def check_edit(
    sandbox: Sandbox, channel: Channel, message: Message, payload: dict[str, Any]
) -> dict[str, Any]:
    """May the bot edit its message so? Returns the payload Discord applies (embeds may be dropped)."""
    if channel.guild_id is None:
        return payload
    kept = _without_embeds_unless_allowed(bot_permissions(sandbox, channel), payload)
    if kept is not payload:
        after = {key: kept.get(key, getattr(message, key)) for key in ("content", "embeds", "components")}
        if not _has_body(after):
            raise DiscordError(400, CANNOT_SEND_EMPTY_MESSAGE, "Cannot send an empty message")
    return kept


def check_delete(sandbox: Sandbox, channel: Channel, message: Message) -> None:
    """Its own messages the bot may delete where it sees them; others' need MANAGE_MESSAGES."""
    if channel.guild_id is None:
        return
    bits = bot_permissions(sandbox, channel)
    if message.author_id != sandbox.state.application.bot_user_id:
        _require(bits, MANAGE_MESSAGES)


def can_read_history(sandbox: Sandbox, channel: Channel) -> bool:
    """Listing messages: Missing Access without VIEW_CHANNEL; no messages without READ_MESSAGE_HISTORY."""
    if channel.guild_id is None:
        return True
    return bool(bot_permissions(sandbox, channel) & READ_MESSAGE_HISTORY)


def check_read_message(sandbox: Sandbox, channel: Channel) -> None:
    """Fetching one message needs VIEW_CHANNEL and READ_MESSAGE_HISTORY."""
    if channel.guild_id is not None:
        _require(bot_permissions(sandbox, channel), READ_MESSAGE_HISTORY)


def check_typing(sandbox: Sandbox, channel: Channel) -> None:
    """The typing indicator is for channels the bot may write in."""
    if channel.guild_id is not None:
        _require(bot_permissions(sandbox, channel), SEND_MESSAGES)


def _without_embeds_unless_allowed(bits: int, payload: dict[str, Any]) -> dict[str, Any]:
    if bits & EMBED_LINKS or not payload.get("embeds"):
        return payload
    return {**payload, "embeds": []}


def _has_body(payload: dict[str, Any]) -> bool:
    keys = ("content", "embeds", "components", "attachments", "poll", "sticker_ids")
    return any(payload.get(key) for key in keys)
