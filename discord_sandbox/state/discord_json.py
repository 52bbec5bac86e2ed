"""The world as Discord's JSON objects (string ids): users, members, roles, channels, messages, guilds.

Objects that refer to others (a member's user, a DM's recipient, a message's author) are built from the world.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .model import Channel, Guild, Member, Message, Overwrite, Role, User
from .sandbox_state import SandboxState


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with offset, as Discord writes timestamps."""
    return moment.isoformat() if moment is not None else None


def user_json(user: User) -> dict[str, Any]:
    """A user object."""
    return {
        "id": str(user.id),
        "username": user.username,
        "global_name": user.global_name,
        "discriminator": "0",
        "avatar": user.avatar,
        "bot": user.bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "collectibles": None,
        "primary_guild": None,
    }


def member_json(state: SandboxState, member: Member) -> dict[str, Any]:
    """A guild member object."""
    return _member_object(state.users[member.user_id], member)


def _member_object(user: User, member: Member) -> dict[str, Any]:
    return {
        "user": user_json(user),
        "nick": member.nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in member.roles],
        "joined_at": iso(member.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }


def role_json(role: Role) -> dict[str, Any]:
    """A role object."""
    return {
        "id": str(role.id),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed,
        "mentionable": role.mentionable,
        "flags": 0,
    }


def channel_json(state: SandboxState, channel: Channel) -> dict[str, Any]:
    """A channel object; DM channels carry their recipient."""
    recipient = state.users.get(channel.recipient_id) if channel.recipient_id else None
    last = str(channel.last_message_id) if channel.last_message_id else None
    if channel.guild_id is None:
        recipients = [user_json(recipient)] if recipient is not None else []
        return {
            "id": str(channel.id),
            "type": channel.type,
            "last_message_id": last,
            "flags": 0,
            "recipients": recipients,
        }
    return {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "position": channel.position,
        "parent_id": str(channel.parent_id) if channel.parent_id else None,
        "permission_overwrites": [overwrite_json(o) for o in channel.permission_overwrites],
        "nsfw": False,
        "topic": channel.topic,
        "last_message_id": last,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def overwrite_json(overwrite: Overwrite) -> dict[str, Any]:
    """A permission overwrite object: bit sets as strings, like every permission field since API v8."""
    return {
        "id": str(overwrite.id),
        "type": overwrite.type,
        "allow": str(overwrite.allow),
        "deny": str(overwrite.deny),
    }


def message_json(state: SandboxState, message: Message) -> dict[str, Any]:
    """A message object; messages of interactions carry the application's ids."""
    channel = state.channel(message.channel_id)
    guild_id = channel.guild_id if channel else None
    author = state.users[message.author_id]
    member = state.guilds[guild_id].members.get(author.id) if guild_id in state.guilds else None
    data: dict[str, Any] = {
        "id": str(message.id),
        "type": message.type,
        "channel_id": str(message.channel_id),
        "author": user_json(author),
        "content": message.content,
        "timestamp": iso(message.created_at),
        "edited_timestamp": iso(message.edited_at),
        "tts": False,
        "mention_everyone": message.mention_everyone,
        "mentions": [_mentioned_user(state, guild_id, u) for u in message.mention_users if u in state.users],
        "mention_roles": [str(r) for r in message.mention_roles],
        "attachments": [],
        "embeds": message.embeds,
        "components": message.components,
        "pinned": False,
        "flags": message.flags,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
        if member is not None:
            data["member"] = {k: v for k, v in _member_object(author, member).items() if k != "user"}
    if message.interaction is not None:
        data["interaction_metadata"] = message.interaction
        data["application_id"] = str(state.application.id)
        data["webhook_id"] = str(state.application.id)
    return data


def _mentioned_user(state: SandboxState, guild_id: int | None, user_id: int) -> dict[str, Any]:
    """A user in a message's `mentions`: in a guild with their member object (without the user again)."""
    user = state.users[user_id]
    member = state.guilds[guild_id].members.get(user_id) if guild_id in state.guilds else None
    if member is None:
        return user_json(user)
    return {
        **user_json(user),
        "member": {k: v for k, v in _member_object(user, member).items() if k != "user"},
    }


def guild_json(guild: Guild) -> dict[str, Any]:
    """A guild object without the GUILD_CREATE extras."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(guild.owner_id),
        "region": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [role_json(r) for r in sorted(guild.roles.values(), key=lambda r: r.position)],
        "emojis": [emoji_json(emoji_id, name) for emoji_id, name in sorted(guild.emojis.items())],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "approximate_member_count": len(guild.members),
        "approximate_presence_count": 0,
    }


def emoji_json(emoji_id: int, name: str) -> dict[str, Any]:
    """A guild's custom emoji (static, usable by everyone)."""
    return {
        "id": str(emoji_id),
        "name": name,
        "roles": [],
        "require_colons": True,
        "managed": False,
        "animated": False,
        "available": True,
    }
