"""Permissions as Discord computes them: a member's base permissions in a guild, then in one channel with its
permission overwrites (https://discord.com/developers/docs/topics/permissions#permission-overwrites).

1. Base: the guild owner has everything; else @everyone's permissions OR'ed with the member's roles';
   ADMINISTRATOR among them means everything (no overwrite can take it away).
2. In a channel: the @everyone overwrite (deny, then allow); then the member's role overwrites together (all
   their denies, then all their allows); then the member's own overwrite (deny, then allow).
3. Implicit: without VIEW_CHANNEL a member has nothing in the channel; without SEND_MESSAGES they cannot
   mention @everyone, send TTS, attach files or embed links there either.
"""

from __future__ import annotations

from .model import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    ATTACH_FILES,
    EMBED_LINKS,
    MENTION_EVERYONE,
    OVERWRITE_MEMBER,
    OVERWRITE_ROLE,
    SEND_MESSAGES,
    SEND_TTS_MESSAGES,
    VIEW_CHANNEL,
    Channel,
    Guild,
    Overwrite,
)

#: Lost along with SEND_MESSAGES (Discord's implicit permissions).
NEEDS_SEND_MESSAGES = MENTION_EVERYONE | SEND_TTS_MESSAGES | ATTACH_FILES | EMBED_LINKS

#: Names of the bits, as Discord's API documentation spells them (for the control API and the viewer).
PERMISSION_NAMES = {
    0: "CREATE_INSTANT_INVITE",
    1: "KICK_MEMBERS",
    2: "BAN_MEMBERS",
    3: "ADMINISTRATOR",
    4: "MANAGE_CHANNELS",
    5: "MANAGE_GUILD",
    6: "ADD_REACTIONS",
    10: "VIEW_CHANNEL",
    11: "SEND_MESSAGES",
    12: "SEND_TTS_MESSAGES",
    13: "MANAGE_MESSAGES",
    14: "EMBED_LINKS",
    15: "ATTACH_FILES",
    16: "READ_MESSAGE_HISTORY",
    17: "MENTION_EVERYONE",
    28: "MANAGE_ROLES",
    31: "USE_APPLICATION_COMMANDS",
}


def base_permissions(guild: Guild, user_id: int) -> int:
    """Guild-level permissions: owner and ADMINISTRATOR get everything, else @everyone and the roles OR'ed."""
    if user_id == guild.owner_id:
        return ALL_PERMISSIONS
    member = guild.members.get(user_id)
    if member is None:
        return 0
    everyone = guild.roles.get(guild.id)
    bits = everyone.permissions if everyone else 0
    for role_id in member.roles:
        role = guild.roles.get(role_id)
        if role is not None:
            bits |= role.permissions
    return ALL_PERMISSIONS if bits & ADMINISTRATOR else bits


def channel_permissions(guild: Guild, channel: Channel, user_id: int) -> int:
    """A member's permissions in one channel of the guild, overwrites and implicit rules applied."""
    base = base_permissions(guild, user_id)
    if base & ADMINISTRATOR:
        return ALL_PERMISSIONS
    member = guild.members.get(user_id)
    if member is None:
        return 0
    bits = apply_overwrites(base, channel.permission_overwrites, guild.id, set(member.roles), user_id)
    if not bits & VIEW_CHANNEL:
        return 0
    if not bits & SEND_MESSAGES:
        bits &= ~NEEDS_SEND_MESSAGES
    return bits


def apply_overwrites(
    base: int, overwrites: list[Overwrite], everyone_id: int, role_ids: set[int], user_id: int
) -> int:
    """Apply a channel's overwrites to base permissions in Discord's order."""
    by_target = {(o.type, o.id): o for o in overwrites}
    bits = base
    everyone = by_target.get((OVERWRITE_ROLE, everyone_id))
    if everyone is not None:
        bits = (bits & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for overwrite in overwrites:
        if overwrite.type == OVERWRITE_ROLE and overwrite.id in role_ids and overwrite.id != everyone_id:
            allow |= overwrite.allow
            deny |= overwrite.deny
    bits = (bits & ~deny) | allow
    own = by_target.get((OVERWRITE_MEMBER, user_id))
    if own is not None:
        bits = (bits & ~own.deny) | own.allow
    return bits


def permission_names(bits: int) -> list[str]:
    """The named bits set in ``bits`` (unnamed ones are left out)."""
    return [name for bit, name in sorted(PERMISSION_NAMES.items()) if bits & (1 << bit)]
