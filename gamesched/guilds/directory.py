"""What gamesched knows of Discord guilds: a port with two implementations.

In a process with the bot (gamesched/discord/directory.py) guild structure (roles, channels, owner) comes
from the gateway cache; members from that cache when the GUILD_MEMBERS intent is on, else from Discord's
member endpoints, cached briefly. In a process without it (``GAMESCHED_ROLES=web``,
gamesched/guilds/projection.py) from the projection the bot processes keep in the database. Names are never
stored in the database; they are resolved here at render time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from gamesched.guilds.bot_access import missing_for_announcements

UNKNOWN_USER = "Unknown user"


@dataclass(frozen=True, slots=True)
class RoleInfo:
    id: int
    name: str
    permissions: int
    position: int = 0
    #: Managed by Discord for an integration (a bot's own role): nobody can be given it, so it is never a
    #: role to pick for managing, hosting, playing or being told.
    managed: bool = False


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    id: int
    guild_id: int
    name: str
    type: int  # Discord channel type: 0 text, 2 voice, 4 category, 5 announcement, 15 forum …
    position: int = 0
    parent_id: int | None = None
    #: What the bot may do here (Discord permission bits, channel overwrites applied); None when unknown.
    bot_permissions: int | None = None

    @property
    def bot_missing(self) -> list[str] | None:
        """What the bot lacks to announce games here (``bot_access`` keys); None when unknown."""
        if self.bot_permissions is None:
            return None
        return missing_for_announcements(self.bot_permissions)


@dataclass(frozen=True, slots=True)
class GuildInfo:
    id: int
    name: str
    owner_id: int
    icon_url: str | None = None
    roles: dict[int, RoleInfo] = field(default_factory=dict)
    channels: dict[int, ChannelInfo] = field(default_factory=dict)
    #: The guild's custom emoji: name → Discord's markup for it (``<:dice:123>``, ``<a:spin:456>``).
    emojis: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MemberInfo:
    user_id: int
    username: str
    global_name: str | None = None
    nick: str | None = None
    avatar_url: str | None = None
    role_ids: frozenset[int] = frozenset()
    bot: bool = False

    @property
    def display_name(self) -> str:
        """Guild nick, else global name, else username."""
        return self.nick or self.global_name or self.username


class DiscordDirectory(Protocol):
    """The bot's view of Discord, as the modules need it."""

    def guild_ids(self) -> set[int]:
        """Guilds the bot is in right now."""
        ...

    def guild(self, guild_id: int) -> GuildInfo | None: ...

    async def member(self, guild_id: int, user_id: int) -> MemberInfo | None:
        """One member, or None when the user is not in the guild."""
        ...

    async def members(self, guild_id: int, user_ids: Iterable[int]) -> dict[int, MemberInfo]:
        """The members among ``user_ids`` (absent ones are simply missing from the result)."""
        ...

    async def search_members(self, guild_id: int, query: str, *, limit: int = 10) -> list[MemberInfo]:
        """Members whose username, global name or nick starts with ``query`` (case-insensitive)."""
        ...

    def cached_members(self, guild_id: int) -> list[MemberInfo]:
        """Every member, when the bot keeps them all (the members intent); else an empty list."""
        ...
