"""Discord REST: channels, messages and DM channels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from ..core.sandbox import Sandbox
from ..state import discord_json, form
from ..state.errors import (
    CANNOT_DM_USER,
    CANNOT_EDIT_OTHERS_MESSAGE,
    NO_MUTUAL_GUILDS,
    UNKNOWN_MESSAGE,
    UNKNOWN_USER,
    DiscordError,
    not_found,
)
from ..state.model import Channel, Message, utcnow
from ..state.validation import validate_edit, validate_message
from . import access
from .common import bot_channel, read_payload

DEFAULT_PAGE, MAX_PAGE = 50, 100
MAX_NONCE = 25
#: Discord checks an enforced nonce against the author's messages of "the past few minutes".
NONCE_WINDOW = timedelta(minutes=5)


@get("/channels/{channel_id:str}", sync_to_thread=False)
def channel(channel_id: FromPath[int], sandbox: NamedDependency[Sandbox]) -> dict[str, Any]:
    """A channel."""
    target = bot_channel(sandbox, channel_id)
    access.check_view(sandbox, target)
    return discord_json.channel_json(sandbox.state, target)


@get("/channels/{channel_id:str}/messages", sync_to_thread=False)
def list_messages(
    channel_id: FromPath[int],
    sandbox: NamedDependency[Sandbox],
    limit: FromQuery[int] = DEFAULT_PAGE,
    before: FromQuery[int | None] = None,
    after: FromQuery[int | None] = None,
    around: FromQuery[int | None] = None,
) -> list[dict[str, Any]]:
    """Messages newest first, paged with before/after/around like Discord."""
    target = bot_channel(sandbox, channel_id)
    found = sandbox.state.messages_in(target.id) if access.can_read_history(sandbox, target) else []
    limit = max(1, min(limit, MAX_PAGE))
    if after is not None:
        page = [m for m in found if m.id > after][:limit]
    elif around is not None:
        older = [m for m in found if m.id <= around][-((limit + 1) // 2) :]
        newer = [m for m in found if m.id > around][: limit // 2]
        page = older + newer
    else:
        page = [m for m in found if before is None or m.id < before][-limit:]
    return [discord_json.message_json(sandbox.state, m) for m in reversed(page)]


def _message(sandbox: Sandbox, channel_id: int, message_id: int) -> Message:
    access.check_view(sandbox, bot_channel(sandbox, channel_id))
    message = sandbox.state.live_message(channel_id, message_id)
    if message is None or message.ephemeral_for is not None:
        raise not_found(UNKNOWN_MESSAGE, "Message")
    return message


@get("/channels/{channel_id:str}/messages/{message_id:str}", sync_to_thread=False)
def get_message(
    channel_id: FromPath[int], message_id: FromPath[int], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """One message."""
    message = _message(sandbox, channel_id, message_id)
    access.check_read_message(sandbox, bot_channel(sandbox, channel_id))
    return discord_json.message_json(sandbox.state, message)


def _check_can_dm(sandbox: Sandbox, target: Channel) -> None:
    state = sandbox.state
    recipient = state.users.get(target.recipient_id or 0)
    shares_guild = any(recipient is not None and recipient.id in g.members for g in state.bot_guilds())
    if recipient is not None and not shares_guild:
        message = "Cannot send messages to this user due to having no mutual guilds"
        raise DiscordError(400, NO_MUTUAL_GUILDS, message)
    if recipient is None or not recipient.dms_open:
        raise DiscordError(403, CANNOT_DM_USER, "Cannot send messages to this user")


@post("/channels/{channel_id:str}/messages", status_code=200, opt={"bucket": "message_create"})
async def create_message(
    channel_id: FromPath[int], request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """Send a message as the bot."""
    target = bot_channel(sandbox, channel_id)
    payload = await read_payload(request)
    validate_message(payload)
    _check_nonce(payload)
    author = sandbox.state.application.bot_user_id
    if payload.get("nonce") is not None and payload.get("enforce_nonce") is True:
        since = utcnow() - NONCE_WINDOW
        earlier = sandbox.state.message_with_nonce(author, str(payload["nonce"]), since=since)
        if earlier is not None:  # a retry of a send that went through: the first message, nothing new
            return {**discord_json.message_json(sandbox.state, earlier), "nonce": earlier.nonce}
    if target.guild_id is not None:
        payload = access.check_create(sandbox, target, payload)
    else:
        _check_can_dm(sandbox, target)
    message = sandbox.create_message(target.id, author, payload)
    created = discord_json.message_json(sandbox.state, message)
    return created if message.nonce is None else {**created, "nonce": message.nonce}


def _check_nonce(payload: dict[str, Any]) -> None:
    """Discord takes a nonce of at most 25 characters (an integer or a string) and a boolean enforce_nonce."""
    errors: form.Errors = {}
    nonce = payload.get("nonce")
    if nonce is not None and (isinstance(nonce, bool) or not isinstance(nonce, int | str)):
        form.put(errors, ["nonce"], form.error("BASE_TYPE_STRING", "Could not interpret nonce as string."))
    elif nonce is not None and len(str(nonce)) > MAX_NONCE:
        form.put(errors, ["nonce"], form.too_long(MAX_NONCE))
    if "enforce_nonce" in payload and not isinstance(payload["enforce_nonce"], bool):
        form.put(errors, ["enforce_nonce"], form.error("BASE_TYPE_BOOLEAN", "Must be either true or false."))
    form.raise_if_any(errors)


@patch("/channels/{channel_id:str}/messages/{message_id:str}", opt={"bucket": "message_edit"})
async def edit_message(
    channel_id: FromPath[int],
    message_id: FromPath[int],
    request: Request[Any, Any, Any],
    sandbox: NamedDependency[Sandbox],
) -> dict[str, Any]:
    """Edit one of the bot's messages."""
    message = _message(sandbox, channel_id, message_id)
    if message.author_id != sandbox.state.application.bot_user_id:
        raise DiscordError(403, CANNOT_EDIT_OTHERS_MESSAGE, "Cannot edit a message authored by another user")
    payload = await read_payload(request)
    validate_edit(payload, message)
    payload = access.check_edit(sandbox, bot_channel(sandbox, channel_id), message, payload)
    sandbox.edit_message(message, payload)
    return discord_json.message_json(sandbox.state, message)


@delete(
    "/channels/{channel_id:str}/messages/{message_id:str}",
    opt={"bucket": "message_delete"},
    sync_to_thread=False,
)
def delete_message(
    channel_id: FromPath[int], message_id: FromPath[int], sandbox: NamedDependency[Sandbox]
) -> None:
    """Delete a message (someone else's needs Manage Messages)."""
    message = _message(sandbox, channel_id, message_id)
    access.check_delete(sandbox, bot_channel(sandbox, channel_id), message)
    sandbox.delete_message(message)


@post("/channels/{channel_id:str}/typing", status_code=204, sync_to_thread=False)
def trigger_typing(channel_id: FromPath[int], sandbox: NamedDependency[Sandbox]) -> None:
    """Typing indicator: accepted and forgotten."""
    access.check_typing(sandbox, bot_channel(sandbox, channel_id))


@post("/users/@me/channels", status_code=200, opt={"bucket": "dm_open"})
async def open_dm(request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]) -> dict[str, Any]:
    """Open (or return) the bot's DM channel with a user; closed DMs fail only when sending."""
    payload = await read_payload(request)
    try:
        recipient_id = int(payload.get("recipient_id") or 0)
    except (TypeError, ValueError):
        recipient_id = 0
    if recipient_id not in sandbox.state.users:
        raise not_found(UNKNOWN_USER, "User")
    return discord_json.channel_json(sandbox.state, sandbox.state.dm_channel_for(recipient_id))


CHANNEL_HANDLERS = [
    channel,
    list_messages,
    get_message,
    create_message,
    edit_message,
    delete_message,
    trigger_typing,
    open_dm,
]
