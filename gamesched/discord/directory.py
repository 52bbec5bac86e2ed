"""The bot's view of Discord for the modules: guild structure from the gateway cache; members from that cache
with the GUILD_MEMBERS intent, else from Discord's member endpoints, cached briefly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

import discord
from discord.http import Route

from gamesched.guilds import ChannelInfo, GuildInfo, MemberInfo, RoleInfo

MEMBER_TTL_SECONDS = 60.0
#: A guild's structure (roles, channels, the bot's permissions) is built once and reused until a gateway
#: event changes the guild (``GameschedBot.guild_state_version``); the TTL only bounds an event we missed.
GUILD_INFO_TTL_SECONDS = 5.0
SEARCH_TTL_SECONDS = 30.0
CDN = "https://cdn.discordapp.com"


class BotDirectory:
    """Implements ``gamesched.guilds.DiscordDirectory`` on a discord.py client."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self._members: dict[tuple[int, int], tuple[float, MemberInfo | None]] = {}
        self._searches: dict[tuple[int, str, int], tuple[float, list[MemberInfo]]] = {}
        self._guilds: dict[int, tuple[int, discord.Guild, float, GuildInfo]] = {}
        #: What was read from each cached member (``MemberInfo``), while the bot's member state has not moved
        #: (``GameschedBot.member_state_version``): reading one sorts the member's roles and builds the
        #: avatar's URL, for each of a roster's fifty players on every read of the game.
        self._infos: dict[tuple[int, int], tuple[discord.Member, MemberInfo]] = {}
        self._infos_version: int | None = None
        #: Told of each member the bot looked up or saw in an interaction (the projection records them, off
        #: the caller's path); None for a user Discord says is not in the guild.
        self.member_observers: list[Callable[[int, int, MemberInfo | None], None]] = []

    @property
    def _members_intent(self) -> bool:
        return self.client.intents.members

    def guild_ids(self) -> set[int]:
        return {guild.id for guild in self.client.guilds if not guild.unavailable}

    def guild(self, guild_id: int) -> GuildInfo | None:
        guild = self.client.get_guild(guild_id)
        if guild is None or guild.unavailable:
            return None
        # Every read asks for it (access, channel names), and building it computes the bot's permissions
        # in every channel.
        version: int | None = getattr(self.client, "guild_state_version", None)
        now = time.monotonic()
        hit = self._guilds.get(guild_id)
        if hit is not None and hit[0] == version and hit[1] is guild and hit[2] > now:
            return hit[3]
        info = guild_info(guild)
        if version is not None:
            self._guilds[guild_id] = (version, guild, now + GUILD_INFO_TTL_SECONDS, info)
        return info

    async def member(self, guild_id: int, user_id: int) -> MemberInfo | None:
        guild = self.client.get_guild(guild_id)
        if guild is None:
            return None
        if self._members_intent and guild.chunked:
            cached = guild.get_member(user_id)
            return self._info_of(guild_id, cached) if cached is not None else None
        key = (guild_id, user_id)
        hit = self._members.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        info = await _fetch_member(self.client, self._members, guild_id, user_id)
        self._observe(guild_id, user_id, info)
        return info

    def _info_of(self, guild_id: int, member: discord.Member) -> MemberInfo:
        """``member_info`` of a member of the gateway's cache, read again only when the bot's member state
        moved (discord.py updates a cached member in place) or the cache holds another object for them."""
        version: int | None = getattr(self.client, "member_state_version", None)
        if version is None:
            return member_info(member)
        if version != self._infos_version:
            self._infos.clear()
            self._infos_version = version
        key = (guild_id, member.id)
        hit = self._infos.get(key)
        if hit is not None and hit[0] is member:
            return hit[1]
        info = member_info(member)
        self._infos[key] = (member, info)
        return info

    def _observe(self, guild_id: int, user_id: int, info: MemberInfo | None) -> None:
        for observer in self.member_observers:
            observer(guild_id, user_id, info)

    def remember_interaction_member(self, interaction: discord.Interaction[Any]) -> None:
        """An interaction carries its member (roles, nick): keep it, as a fresh look-up would."""
        user = interaction.user
        if interaction.guild_id is not None and isinstance(user, discord.Member):
            expires = time.monotonic() + MEMBER_TTL_SECONDS
            info = member_info(user)
            self._members[(interaction.guild_id, user.id)] = (expires, info)
            self._observe(interaction.guild_id, user.id, info)

    async def members(self, guild_id: int, user_ids: Iterable[int]) -> dict[int, MemberInfo]:
        ids = list(dict.fromkeys(user_ids))
        # Known members are answered from memory; only the others are looked up, concurrently (a task per
        # look-up: fifty tasks for a roster that is all in memory cost more than the rest of the read).
        guild = self.client.get_guild(guild_id)
        if guild is None:
            return {}
        if self._members_intent and guild.chunked:
            return {u: self._info_of(guild_id, m) for u in ids if (m := guild.get_member(u)) is not None}
        now = time.monotonic()
        found: dict[int, MemberInfo] = {}
        missing: list[int] = []
        for user_id in ids:
            hit = self._members.get((guild_id, user_id))
            if hit is None or hit[0] <= now:
                missing.append(user_id)
            elif hit[1] is not None:
                found[user_id] = hit[1]
        if missing:
            looked_up = await asyncio.gather(*(self.member(guild_id, user_id) for user_id in missing))
            found.update((u, info) for u, info in zip(missing, looked_up, strict=True) if info is not None)
        return {user_id: found[user_id] for user_id in ids if user_id in found}

    async def search_members(self, guild_id: int, query: str, *, limit: int = 10) -> list[MemberInfo]:
        guild = self.client.get_guild(guild_id)
        needle = query.casefold()
        if guild is None or not needle:
            return []
        if self._members_intent and guild.chunked:
            matches = [
                member_info(m)
                for m in guild.members
                if any(n and n.casefold().startswith(needle) for n in (m.name, m.global_name, m.nick))
            ]
            return sorted(matches, key=lambda m: m.display_name.casefold())[:limit]
        key = (guild_id, needle, limit)
        hit = self._searches.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        route = Route("GET", "/guilds/{guild_id}/members/search", guild_id=guild_id)
        raw = await self.client.http.request(route, params={"query": query, "limit": limit})
        result = [member_info_from_payload(item) for item in raw]
        self._searches[key] = (time.monotonic() + SEARCH_TTL_SECONDS, result)
        for info in result:
            self._members[(guild_id, info.user_id)] = (time.monotonic() + MEMBER_TTL_SECONDS, info)
        return result

    def cached_members(self, guild_id: int) -> list[MemberInfo]:
        guild = self.client.get_guild(guild_id)
        if guild is None or not (self._members_intent and guild.chunked):
            return []
        return [member_info(m) for m in guild.members]

    def forget_member(self, guild_id: int, user_id: int) -> None:
        """Drop cached data after a member update or departure."""
        self._members.pop((guild_id, user_id), None)
        self._searches = {k: v for k, v in self._searches.items() if k[0] != guild_id}


class RestMembers:
    """Members over Discord's REST endpoints only, for a process without the gateway (names are never stored:
    ``gamesched.guilds.projection``). Cached in memory like the bot's look-ups without the members intent."""

    def __init__(self, token: str) -> None:
        self.client = discord.Client(intents=discord.Intents.none())
        self._token = token
        self._login = asyncio.Lock()
        self._members: dict[tuple[int, int], tuple[float, MemberInfo | None]] = {}
        self._searches: dict[tuple[int, str, int], tuple[float, list[MemberInfo]]] = {}

    async def _logged_in(self) -> None:
        """Log in at first use (not at start: Discord may be this very process's sandbox, not serving yet)."""
        async with self._login:
            if self.client.user is None:
                await self.client.login(self._token)

    async def close(self) -> None:
        await self.client.close()

    async def _member(self, guild_id: int, user_id: int) -> MemberInfo | None:
        key = (guild_id, user_id)
        hit = self._members.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        await self._logged_in()
        return await _fetch_member(self.client, self._members, guild_id, user_id)

    async def members(self, guild_id: int, user_ids: Iterable[int]) -> dict[int, MemberInfo]:
        ids = list(dict.fromkeys(user_ids))
        found = await asyncio.gather(*(self._member(guild_id, user_id) for user_id in ids))
        return {user_id: info for user_id, info in zip(ids, found, strict=True) if info is not None}

    async def search_members(self, guild_id: int, query: str, *, limit: int = 10) -> list[MemberInfo]:
        needle = query.casefold()
        if not needle:
            return []
        key = (guild_id, needle, limit)
        hit = self._searches.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        await self._logged_in()
        route = Route("GET", "/guilds/{guild_id}/members/search", guild_id=guild_id)
        raw = await self.client.http.request(route, params={"query": query, "limit": limit})
        result = [member_info_from_payload(item) for item in raw]
        self._searches[key] = (time.monotonic() + SEARCH_TTL_SECONDS, result)
        for info in result:
            self._members[(guild_id, info.user_id)] = (time.monotonic() + MEMBER_TTL_SECONDS, info)
        return result


class EmptyDirectory:
    """Used when no bot runs in this process (no token, not sandbox): no guild is visible."""

    def guild_ids(self) -> set[int]:
        return set()

    def guild(self, guild_id: int) -> GuildInfo | None:
        return None

    async def member(self, guild_id: int, user_id: int) -> MemberInfo | None:
        return None

    async def members(self, guild_id: int, user_ids: Iterable[int]) -> dict[int, MemberInfo]:
        return {}

    async def search_members(self, guild_id: int, query: str, *, limit: int = 10) -> list[MemberInfo]:
        return []

    def cached_members(self, guild_id: int) -> list[MemberInfo]:
        return []


def guild_info(guild: discord.Guild) -> GuildInfo:
    return GuildInfo(
        id=guild.id,
        name=guild.name,
        owner_id=guild.owner_id or 0,
        icon_url=guild.icon.url if guild.icon else None,
        roles={r.id: RoleInfo(r.id, r.name, r.permissions.value, r.position, r.managed) for r in guild.roles},
        channels={c.id: channel_info(c) for c in guild.channels},
        emojis={e.name: str(e) for e in guild.emojis if e.available},
    )


def channel_info(channel: discord.abc.GuildChannel) -> ChannelInfo:
    return ChannelInfo(
        id=channel.id,
        guild_id=channel.guild.id,
        name=channel.name,
        type=channel.type.value,
        position=channel.position,
        parent_id=channel.category_id,
        bot_permissions=channel.permissions_for(me).value if (me := channel.guild.me) else None,
    )


def member_info(member: discord.Member) -> MemberInfo:
    return MemberInfo(
        user_id=member.id,
        username=member.name,
        global_name=member.global_name,
        nick=member.nick,
        avatar_url=member.avatar.url if member.avatar else None,
        role_ids=frozenset(r.id for r in member.roles if r.id != member.guild.id),
        bot=member.bot,
    )


def member_info_from_payload(payload: dict[str, Any]) -> MemberInfo:
    user = payload["user"]
    user_id = int(user["id"])
    avatar = user.get("avatar")
    return MemberInfo(
        user_id=user_id,
        username=user["username"],
        global_name=user.get("global_name"),
        nick=payload.get("nick"),
        avatar_url=f"{CDN}/avatars/{user_id}/{avatar}.png" if avatar else None,
        role_ids=frozenset(int(r) for r in payload.get("roles", [])),
        bot=bool(user.get("bot", False)),
    )


async def _fetch_member(
    client: discord.Client,
    members: dict[tuple[int, int], tuple[float, MemberInfo | None]],
    guild_id: int,
    user_id: int,
) -> MemberInfo | None:
    """One member from Discord's REST API (None: not in the guild), kept in ``members`` for the TTL."""
    try:
        raw = await client.http.get_member(guild_id, user_id)
    except discord.NotFound:
        info = None
    else:
        info = member_info_from_payload(dict(raw))
    members[(guild_id, user_id)] = (time.monotonic() + MEMBER_TTL_SECONDS, info)
    return info
