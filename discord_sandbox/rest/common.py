"""Shared pieces of the Discord REST handlers: the bot-token guard, body parsing and lookups."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from ..state.errors import (
    UNKNOWN_CHANNEL,
    UNKNOWN_GUILD,
    DiscordError,
    not_found,
)
from ..state.form import bad_path_ids

if TYPE_CHECKING:
    from ..core.sandbox import Sandbox
    from ..state.model import Channel, Guild

MISSING_ACCESS = 50001
NO_AUTH = {"auth": "none"}  # opt for routes authenticated by the token in their path


#: Guards are coroutines: Litestar runs a plain function guard in a worker thread, two thread hops per request.
Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def require_bot(sandbox: Sandbox) -> Guard:
    """Discord REST needs `Authorization: Bot <the bot's token>`, else 401 `{"message": "401: Unauthorized",
    "code": 0}`. Routes with `auth: none` are authenticated by the token in their path (interaction callbacks
    and webhooks); `bot_or_bearer` routes also take an OAuth2 bearer token, which their handler checks."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        mode = handler.opt.get("auth", "bot")
        if mode == "none":
            return
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        if scheme == "Bot" and token == sandbox.bot_token:
            return
        if scheme == "Bearer" and token and mode == "bot_or_bearer":
            return
        raise DiscordError(401, 0, "401: Unauthorized")

    return guard


async def require_snowflake_ids(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Ids in the path must be snowflakes: `/channels/abc/messages` is 400 Invalid Form Body with
    `channel_id: NUMBER_TYPE_COERCE`, as on Discord, not a 404 or a crash. (A route the sandbox lacks stays
    404, whatever its ids.)"""
    if handler.opt.get("unknown_route"):
        return
    problem = bad_path_ids(discord_path_ids(connection.url.path, connection.path_params))
    if problem is not None:
        raise problem


def discord_path_ids(path: str, params: dict[str, Any]) -> dict[str, str]:
    """The path's ids by the names Discord's errors give them (`app_id` is a webhook's or an application's)."""
    found = {}
    for key, value in params.items():
        if key == "app_id":
            found["webhook_id" if "/webhooks/" in path else "application_id"] = str(value)
        elif key == "ref" and value != "@original":
            found["message_id"] = str(value)
        elif key.endswith("_id"):
            found[key] = str(value)
    return found


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    """The OAuth2 access token of a `Bearer` request, if that is how it authenticated."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token if scheme == "Bearer" else None


async def read_payload(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The JSON body, or `payload_json` of a multipart body (discord.py sends files that way)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        raw = form.get("payload_json") or "{}"
    else:
        raw = (await request.body()).decode() or "{}"
    try:
        payload = json.loads(raw)
    except ValueError:
        raise DiscordError(400, 50109, "The request body contains invalid JSON.") from None
    if not isinstance(payload, dict):
        raise DiscordError(400, 50035, "Invalid Form Body")
    return payload


def bot_guild(sandbox: Sandbox, guild_id: int) -> Guild:
    """A guild the bot is in: 404 Unknown Guild if it does not exist, 403 Missing Access if not joined."""
    guild = sandbox.state.guilds.get(guild_id)
    if guild is None:
        raise not_found(UNKNOWN_GUILD, "Guild")
    if sandbox.state.application.bot_user_id not in guild.members:
        raise DiscordError(403, MISSING_ACCESS, "Missing Access")
    return guild


def bot_channel(sandbox: Sandbox, channel_id: int) -> Channel:
    """A channel the bot can see: its DMs and the channels of its guilds."""
    channel = sandbox.state.channel(channel_id)
    if channel is None:
        raise not_found(UNKNOWN_CHANNEL, "Channel")
    if channel.guild_id is not None:
        bot_guild(sandbox, channel.guild_id)
    return channel
