"""The guild view of a bot process holding only some of Discord's shards.

Its gateway sees only the guilds of its own shards; a page, a permission check or a mention about a guild of
another shard is answered from the shared projection the other bot processes keep in PostgreSQL
(``ProjectedDirectory``). Which side answers is decided by Discord's routing, ``(guild_id >> 22) % count``,
not by whether the gateway happens to know the guild: a guild of our own shard that is unavailable right
now is unavailable, as it would be in a process holding every shard.
"""

from __future__ import annotations

from collections.abc import Iterable

from gamesched.guilds.directory import DiscordDirectory, GuildInfo, MemberInfo
from gamesched.guilds.projection import ProjectedDirectory


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a guild's events to."""
    return (guild_id >> 22) % shard_count


class ShardedDirectory:
    """Implements ``DiscordDirectory``: the gateway's view for the guilds of ``shard_ids``, the projection's for
    the others."""

    def __init__(
        self,
        own: DiscordDirectory,
        projected: ProjectedDirectory,
        *,
        shard_count: int,
        shard_ids: Iterable[int],
    ) -> None:
        self.own = own
        self.projected = projected
        self.shard_count = shard_count
        self.shard_ids = frozenset(shard_ids)

    def _side(self, guild_id: int) -> DiscordDirectory:
        return self.own if shard_of(guild_id, self.shard_count) in self.shard_ids else self.projected

    def guild_ids(self) -> set[int]:
        others = {g for g in self.projected.guild_ids() if self._side(g) is self.projected}
        return self.own.guild_ids() | others

    def guild(self, guild_id: int) -> GuildInfo | None:
        return self._side(guild_id).guild(guild_id)

    async def memberships(self, user_id: int) -> dict[int, MemberInfo]:
        """The user's memberships the projection knows in the other shards' guilds, in one query (the server
        list); those of our own shards are asked of the gateway's view guild by guild."""
        known = await self.projected.memberships(user_id)
        return {g: m for g, m in known.items() if self._side(g) is self.projected}

    async def member(self, guild_id: int, user_id: int) -> MemberInfo | None:
        return await self._side(guild_id).member(guild_id, user_id)

    async def members(self, guild_id: int, user_ids: Iterable[int]) -> dict[int, MemberInfo]:
        return await self._side(guild_id).members(guild_id, user_ids)

    async def search_members(self, guild_id: int, query: str, *, limit: int = 10) -> list[MemberInfo]:
        return await self._side(guild_id).search_members(guild_id, query, limit=limit)

    def cached_members(self, guild_id: int) -> list[MemberInfo]:
        return self._side(guild_id).cached_members(guild_id)
