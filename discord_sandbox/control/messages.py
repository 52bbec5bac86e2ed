"""Control API (`/sandbox/api`): channel messages and DMs as users see them."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_204_NO_CONTENT

from ..core.sandbox import Sandbox
from ..state.control_json import message_shape
from ..state.errors import ControlError
from .requests import int_ids, json_body


@get("/channels/{channel_id:int}/messages", sync_to_thread=False)
def channel_messages(channel_id: FromPath[int], sandbox: NamedDependency[Sandbox]) -> list[dict[str, Any]]:
    """A channel's messages, oldest first."""
    if sandbox.state.channel(channel_id) is None:
        raise ControlError(404, "unknown_channel")
    return [message_shape(m) for m in sandbox.state.messages_in(channel_id)]


@post("/channels/{channel_id:int}/messages")
async def post_message(
    channel_id: FromPath[int], request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """A user writes in a channel; the bot sees MESSAGE_CREATE."""
    channel = sandbox.state.channel(channel_id)
    if channel is None:
        raise ControlError(404, "unknown_channel")
    body = await json_body(request)
    user_id = int_ids([body.get("user_id")], "user_id")[0]
    if user_id not in sandbox.state.users:
        raise ControlError(404, "unknown_user")
    if channel.guild_id is None and user_id != channel.recipient_id:
        raise ControlError(403, "not_recipient")
    if channel.guild_id is not None and user_id not in sandbox.state.guilds[channel.guild_id].members:
        raise ControlError(404, "unknown_member")
    if not str(body.get("content") or ""):
        raise ControlError(400, "empty_message")
    message = sandbox.create_message(channel_id, user_id, {"content": str(body["content"])})
    return message_shape(message)


@delete("/channels/{channel_id:int}/messages/{message_id:int}", sync_to_thread=False)
def delete_message(
    channel_id: FromPath[int], message_id: FromPath[int], sandbox: NamedDependency[Sandbox]
) -> None:
    """Delete a message by hand (a moderator would); the bot sees MESSAGE_DELETE."""
    message = sandbox.state.live_message(channel_id, message_id)
    if message is None:
        raise ControlError(404, "unknown_message")
    sandbox.delete_message(message)


@post("/channels/{channel_id:int}/messages/bulk-delete", status_code=HTTP_204_NO_CONTENT)
async def bulk_delete_messages(
    channel_id: FromPath[int], request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]
) -> None:
    """``{"message_ids": [...]}``: delete 2-100 messages at once (MESSAGE_DELETE_BULK), as Discord allows."""
    body = await json_body(request)
    ids = int_ids(body.get("message_ids") or [], "message_ids")
    if not 2 <= len(ids) <= 100:
        raise ControlError(400, "bulk_delete_needs_2_to_100_messages")
    messages = [sandbox.state.live_message(channel_id, message_id) for message_id in ids]
    if any(m is None for m in messages):
        raise ControlError(404, "unknown_message")
    sandbox.delete_messages(channel_id, [m for m in messages if m is not None])


@get("/users/{user_id:int}/dms", sync_to_thread=False)
def user_dms(user_id: FromPath[int], sandbox: NamedDependency[Sandbox]) -> list[dict[str, Any]]:
    """DMs the bot sent this user, oldest first."""
    if user_id not in sandbox.state.users:
        raise ControlError(404, "unknown_user")
    return [message_shape(m) for m in sandbox.state.dm_messages(user_id)]


@get("/dms", sync_to_thread=False)
def all_dms(sandbox: NamedDependency[Sandbox], after: FromQuery[int] = 0) -> list[dict[str, Any]]:
    """Every DM the bot sent, to anyone, oldest first, each with its ``recipient_id``; ``?after=<message
    id>`` gives only the newer ones (one cheap call for a benchmark watching a wave of DMs)."""
    state = sandbox.state
    recipients = {channel.id: user_id for user_id, channel in state.dm_channels.items()}
    bot_id = state.application.bot_user_id
    return [
        {**message_shape(m), "recipient_id": str(recipients[m.channel_id])}
        for m in state.messages.values()
        if m.id > after and m.channel_id in recipients and m.author_id == bot_id and not m.deleted
    ]


MESSAGE_HANDLERS = [channel_messages, post_message, delete_message, bulk_delete_messages, user_dms, all_dms]
