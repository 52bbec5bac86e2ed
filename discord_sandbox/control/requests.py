"""Control API requests: JSON bodies, ids and lookups that answer `{"error": ...}`."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request

from ..core.sandbox import Sandbox
from ..state.errors import ControlError
from ..state.model import Channel, Guild


async def json_body(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The request's JSON object; an empty body is `{}`."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ControlError(400, "invalid_json") from None
    if not isinstance(body, dict):
        raise ControlError(400, "invalid_json", message="expected a JSON object")
    return body


def channel_or_404(sandbox: Sandbox, guild_id: int, channel_id: int) -> Channel:
    """The guild's channel, or 404 (unknown_guild / unknown_channel)."""
    channel = guild_or_404(sandbox, guild_id).channels.get(channel_id)
    if channel is None:
        raise ControlError(404, "unknown_channel")
    return channel


def guild_or_404(sandbox: Sandbox, guild_id: int) -> Guild:
    """The guild, or 404 unknown_guild."""
    guild = sandbox.state.guilds.get(guild_id)
    if guild is None:
        raise ControlError(404, "unknown_guild")
    return guild


def int_ids(raw: Any, name: str) -> list[int]:
    """A list of ids from JSON (strings or numbers), or 400 invalid_id."""
    try:
        return [int(x) for x in raw]
    except (TypeError, ValueError):
        raise ControlError(400, "invalid_id", field=name) from None
