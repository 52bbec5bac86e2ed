"""Intents and the gateway's event payloads built from the world: READY, GUILD_CREATE, member and message events."""

from __future__ import annotations

from typing import Any

from ..state import discord_json
from ..state.model import Guild, Member
from ..state.sandbox_state import SandboxState

INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
INTENT_GUILD_PRESENCES = 1 << 8
ALWAYS = 0  # events every session receives (INTERACTION_CREATE, READY, RESUMED)
#: Every intent bit Discord defines (bits 17-19 and 22-23 are unused); others close the gateway with 4013.
VALID_INTENTS = ((1 << 17) - 1) | (1 << 20) | (1 << 21) | (1 << 24) | (1 << 25)


def ready_payload(
    state: SandboxState,
    guilds: list[Guild],
    *,
    session_id: str,
    resume_url: str,
    shard: list[int] | None,
) -> dict[str, Any]:
    """READY: the bot user and the session's guilds (its shard's), all unavailable until their GUILD_CREATE."""
    data: dict[str, Any] = {
        "v": 10,
        "user": {
            **discord_json.user_json(state.bot_user),
            "verified": True,
            "mfa_enabled": False,
            "email": None,
        },
        "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_url,
        "application": {"id": str(state.application.id), "flags": state.application.flags},
        "private_channels": [],
        "relationships": [],
        "user_settings": {},
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
        "_trace": ["sandbox"],
    }
    if shard is not None:
        data["shard"] = shard
    return data


def guild_create_payload(state: SandboxState, guild: Guild, *, intents: int) -> dict[str, Any]:
    """GUILD_CREATE: the guild with channels and roles; members only with the members intent."""
    bot_id = state.application.bot_user_id
    if intents & INTENT_GUILD_MEMBERS:
        members = list(guild.members.values())
    else:
        members = [m for m in guild.members.values() if m.user_id == bot_id]
    bot_member = guild.members.get(bot_id)
    return {
        **discord_json.guild_json(guild),
        "joined_at": discord_json.iso(bot_member.joined_at) if bot_member else None,
        "large": False,
        "unavailable": False,
        "member_count": len(guild.members),
        "members": [discord_json.member_json(state, m) for m in members],
        "channels": [
            discord_json.channel_json(state, c)
            for c in sorted(guild.channels.values(), key=lambda c: c.position)
        ],
        "threads": [],
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "lazy": True,
    }


def member_event_payload(state: SandboxState, guild_id: int, member: Member) -> dict[str, Any]:
    """GUILD_MEMBER_ADD / GUILD_MEMBER_UPDATE data."""
    return {**discord_json.member_json(state, member), "guild_id": str(guild_id)}


def message_intent(state: SandboxState, channel_id: int) -> int:
    """The intent a MESSAGE_* event needs: guild messages or direct messages."""
    channel = state.channel(channel_id)
    return INTENT_DIRECT_MESSAGES if channel is None or channel.guild_id is None else INTENT_GUILD_MESSAGES


def without_content(
    state: SandboxState, data: dict[str, Any], author_id: int, channel_id: int
) -> dict[str, Any] | None:
    """The message payload a bot without the message content intent gets, or None if it may see it all.

    Like Discord: the bot's own messages, DMs and messages mentioning the bot keep their content."""
    channel = state.channel(channel_id)
    bot_id = state.application.bot_user_id
    mentions_bot = f"<@{bot_id}>" in str(data.get("content") or "")
    if author_id == bot_id or channel is None or channel.guild_id is None or mentions_bot:
        return None
    return {**data, "content": "", "embeds": [], "attachments": [], "components": []}
