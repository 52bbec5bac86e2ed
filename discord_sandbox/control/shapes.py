"""Control API shapes and helpers: JSON bodies, the world view, lookups that answer `{"error": ...}`."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request

from ..core.sandbox import Sandbox
from ..state import discord_json
from ..state.errors import ControlError
from ..state.model import Channel, Guild, Member, Role, User
from ..state.sandbox_state import SandboxState


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


def world_json(state: SandboxState) -> dict[str, Any]:
    """The whole world in the control API's shape."""
    bot = state.bot_user
    return {
        "application": {"id": str(state.application.id), "name": state.application.name},
        "bot_user": {"id": str(bot.id), "username": bot.username},
        "users": [user_shape(u) for u in state.users.values()],
        "guilds": [guild_shape(state, g) for g in state.guilds.values()],
    }


def user_shape(user: User) -> dict[str, Any]:
    """A user in the control API."""
    return {
        "id": str(user.id),
        "username": user.username,
        "global_name": user.global_name,
        "dms_open": user.dms_open,
        "bot": user.bot,
    }


def guild_shape(state: SandboxState, guild: Guild) -> dict[str, Any]:
    """A guild with channels, roles and members."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "owner_id": str(guild.owner_id),
        "bot_member": state.application.bot_user_id in guild.members,
        "channels": [
            {
                "id": str(c.id),
                "name": c.name,
                "type": c.type,
                "position": c.position,
                "parent_id": str(c.parent_id) if c.parent_id else None,
            }
            for c in sorted(guild.channels.values(), key=lambda c: c.position)
        ],
        "roles": [role_shape(r) for r in sorted(guild.roles.values(), key=lambda r: r.position)],
        "members": [member_shape(state, guild, m) for m in guild.members.values()],
    }


def role_shape(role: Role) -> dict[str, Any]:
    """A role; permissions as an integer bit set."""
    return {
        "id": str(role.id),
        "name": role.name,
        "permissions": role.permissions,
        "position": role.position,
        "color": role.color,
    }


def member_shape(state: SandboxState, guild: Guild, member: Member) -> dict[str, Any]:
    """A membership with its display name."""
    return {
        "user_id": str(member.user_id),
        "nick": member.nick,
        "roles": [str(r) for r in member.roles],
        "display_name": state.member_display_name(guild.id, member.user_id),
        "joined_at": discord_json.iso(member.joined_at),
    }


def channel_shape(channel: Channel) -> dict[str, Any]:
    return {"id": str(channel.id), "name": channel.name, "type": channel.type, "position": channel.position}


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
