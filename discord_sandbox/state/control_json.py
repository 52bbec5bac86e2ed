"""The world as the control API shows it: flat JSON with string ids, for tests, benchmarks and curl."""

from __future__ import annotations

from typing import Any

from .discord_json import iso, overwrite_json
from .model import Channel, Guild, Member, Message, Role, User
from .sandbox_state import SandboxState


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
            {**channel_shape(c), "parent_id": str(c.parent_id) if c.parent_id else None}
            for c in sorted(guild.channels.values(), key=lambda c: c.position)
        ],
        "roles": [role_shape(r) for r in sorted(guild.roles.values(), key=lambda r: r.position)],
        "members": [member_shape(state, guild, m) for m in guild.members.values()],
        "emojis": [{"id": str(i), "name": n} for i, n in sorted(guild.emojis.items())],
    }


def role_shape(role: Role) -> dict[str, Any]:
    """A role; permissions as an integer bit set."""
    return {
        "id": str(role.id),
        "name": role.name,
        "permissions": role.permissions,
        "position": role.position,
        "color": role.color,
        "mentionable": role.mentionable,
    }


def member_shape(state: SandboxState, guild: Guild, member: Member) -> dict[str, Any]:
    """A membership with its display name."""
    return {
        "user_id": str(member.user_id),
        "nick": member.nick,
        "roles": [str(r) for r in member.roles],
        "display_name": state.member_display_name(guild.id, member.user_id),
        "joined_at": iso(member.joined_at),
    }


def channel_shape(channel: Channel) -> dict[str, Any]:
    """A channel in the control API, with its permission overwrites."""
    return {
        "id": str(channel.id),
        "name": channel.name,
        "type": channel.type,
        "position": channel.position,
        "permission_overwrites": [overwrite_json(o) for o in channel.permission_overwrites],
    }


def message_shape(message: Message) -> dict[str, Any]:
    """A message in the control API's flat shape (author id, no author object)."""
    return {
        "id": str(message.id),
        "channel_id": str(message.channel_id),
        "author_id": str(message.author_id),
        "content": message.content,
        "embeds": message.embeds,
        "components": message.components,
        "flags": message.flags,
        "ephemeral": message.ephemeral_for is not None,
        "created_at": iso(message.created_at),
        "edited_at": iso(message.edited_at),
        "pinged": {
            "users": [str(u) for u in message.mention_users],
            "roles": [str(r) for r in message.mention_roles],
            "everyone": message.mention_everyone,
        },
    }
