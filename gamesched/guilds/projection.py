"""The shared projection of Discord, read by a process that holds no gateway connection (``GAMESCHED_ROLES=web``).

The bot processes keep it in PostgreSQL as gateway events arrive (``GuildService.sync_guild`` and friends):
guilds, their channels (with the bot's own permissions in each), roles and custom emoji, and who is a
member with which roles. This directory reads it:

- **Guild structure** (``guild_ids``, ``guild``: synchronous, as every caller expects) from a copy in memory,
  loaded at start and refreshed by one indexed query for the guilds whose ``updated_at`` moved (then one
  query each for their channels and roles, for those guilds only). A refresh runs when a bot process says
  it wrote (the live hub's ``PROJECTION_TOPIC``: PostgreSQL NOTIFY, or Redis when configured), at most
  every ``MIN_REFRESH_GAP`` seconds, and every ``FALLBACK_SECONDS`` in any case, in case a signal was
  lost; without a hub, every ``REFRESH_SECONDS``. A rename in Discord shows here within a moment; a read
  costs no round trip.
- **Membership and roles** (permission checks, the server list) from ``guild_members``: one indexed query per
  look-up, each answer kept ``MEMBER_CACHE`` in memory; Discord is asked (REST) only for a member the bot has not recorded, or not confirmed lately.
- **Names** are never stored (a participant is stored by id only): they come from ``names`` — Discord's
  member endpoints over REST with the bot's token, cached in memory for a minute — when this process has a
  token; without one, members show as "Unknown user" and ``@name`` mentions cannot be resolved here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

import structlog
from sqlalchemy import select

from gamesched.core.clock import Clock
from gamesched.core.db import Database
from gamesched.core.live import LiveHub
from gamesched.guilds.directory import UNKNOWN_USER, ChannelInfo, GuildInfo, MemberInfo, RoleInfo
from gamesched.guilds.models import Channel, Guild, GuildMember, GuildRole

log = structlog.get_logger(__name__)

REFRESH_SECONDS = 2.0
#: The live hub's topic a bot process publishes after writing guild structure (ids only: nothing in it).
PROJECTION_TOPIC = "discord.projection"
#: With signals, the poll only covers a lost one (a LISTEN connection re-established wakes every reader).
FALLBACK_SECONDS = 30.0
#: A bot process starting up writes its guilds one by one: readers refresh at most this often meanwhile.
MIN_REFRESH_GAP = 0.5
#: How long a recorded membership is trusted without the bot seeing the member again, when Discord can be
#: asked instead (without the members intent the bot hears of no departures).
MEMBER_FRESH = timedelta(minutes=15)
#: Every page's permission check reads the member: each answer is kept this long in this process (as the
#: guild's record is, ``GuildService``), so a role change shows within it.
MEMBER_CACHE = timedelta(seconds=5)
MEMBER_CACHE_SIZE = 10_000
#: How far before the latest change seen each refresh looks again: a writer whose clock runs behind, or a
#: transaction that commits after a later-stamped one, is not missed.
LOOK_BACK = timedelta(seconds=30)


class MemberNames(Protocol):
    """Where names come from in a process without the gateway (Discord's REST member endpoints)."""

    async def members(self, guild_id: int, user_ids: Iterable[int]) -> dict[int, MemberInfo]: ...

    async def search_members(self, guild_id: int, query: str, *, limit: int = 10) -> list[MemberInfo]: ...


class ProjectedDirectory:
    """Implements ``DiscordDirectory`` on the projection in PostgreSQL."""

    def __init__(self, db: Database, *, clock: Clock, names: MemberNames | None = None) -> None:
        self.db = db
        self.clock = clock
        self.names = names
        self._guilds: dict[int, GuildInfo] = {}
        self._seen: datetime | None = None
        self._versions: dict[int, datetime] = {}
        self._members: dict[tuple[int, int], tuple[datetime, MemberInfo | None]] = {}
        self._memberships: dict[int, tuple[datetime, dict[int, MemberInfo]]] = {}
        self._task: asyncio.Task[None] | None = None

    # --- guild structure: memory, refreshed from the database ---

    def guild_ids(self) -> set[int]:
        return set(self._guilds)

    def guild(self, guild_id: int) -> GuildInfo | None:
        return self._guilds.get(guild_id)

    async def refresh(self) -> int:
        """Reload the guilds changed since the last refresh; returns how many."""
        async with self.db.uow(bypass_rls=True) as uow:
            query = select(Guild).order_by(Guild.updated_at)
            if self._seen is not None:
                # Stamps come from the writers' clocks and commit in any order: look back a margin, and
                # reload only the guilds whose stamp differs from the one loaded.
                query = query.where(Guild.updated_at >= self._seen - LOOK_BACK)
            rows = list((await uow.session.scalars(query)).all())
            changed = [g for g in rows if self._versions.get(g.id) != g.updated_at]
            live = [g.id for g in changed if g.bot_present]
            channels = (
                (await uow.session.scalars(select(Channel).where(Channel.guild_id.in_(live)))).all()
                if live
                else []
            )
            roles = (
                (await uow.session.scalars(select(GuildRole).where(GuildRole.guild_id.in_(live)))).all()
                if live
                else []
            )
        by_guild_channels: dict[int, dict[int, ChannelInfo]] = {g: {} for g in live}
        for c in channels:
            if c.present:
                by_guild_channels[c.guild_id][c.id] = ChannelInfo(
                    id=c.id,
                    guild_id=c.guild_id,
                    name=c.name,
                    type=c.type,
                    position=c.position,
                    parent_id=c.parent_id,
                    bot_permissions=c.bot_permissions,
                )
        by_guild_roles: dict[int, dict[int, RoleInfo]] = {g: {} for g in live}
        for r in roles:
            by_guild_roles[r.guild_id][r.id] = RoleInfo(r.id, r.name, r.permissions, r.position, r.managed)
        for g in changed:
            self._versions[g.id] = g.updated_at
            if not g.bot_present:
                self._guilds.pop(g.id, None)
                continue
            self._guilds[g.id] = GuildInfo(
                id=g.id,
                name=g.name,
                owner_id=g.owner_id,
                icon_url=g.icon_url,
                roles=by_guild_roles[g.id],
                channels=by_guild_channels[g.id],
                emojis=dict(g.emojis or {}),
            )
        if rows:
            self._seen = max(rows[-1].updated_at, self._seen or rows[-1].updated_at)
        return len(changed)

    def start(self, live: LiveHub | None = None, *, interval: float | None = None) -> None:
        """Refresh in the background until ``close``: when ``live`` signals a change (and every
        ``FALLBACK_SECONDS``), or every ``REFRESH_SECONDS`` without a hub."""
        if self._task is None:
            every = interval if interval is not None else FALLBACK_SECONDS if live else REFRESH_SECONDS
            self._task = asyncio.create_task(self._follow(live, every), name="projection-refresh")

    async def _follow(self, live: LiveHub | None, interval: float) -> None:
        async with contextlib.AsyncExitStack() as stack:
            signals: asyncio.Queue[str] = (
                await stack.enter_async_context(live.subscribe(PROJECTION_TOPIC))
                if live is not None
                else asyncio.Queue()
            )
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(signals.get(), interval)
                try:
                    await self.refresh()
                except Exception:  # a database hiccup: keep the last view, try again next time
                    log.exception("projection_refresh_failed")
                await asyncio.sleep(MIN_REFRESH_GAP)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # --- members: roles from the database, names from Discord ---

    async def member(self, guild_id: int, user_id: int) -> MemberInfo | None:
        """For permission checks: the projection's row (one query), names left unknown. A row the bot has not
        confirmed for ``MEMBER_FRESH`` (without the members intent Discord tells the bot of no departures),
        or none at all, is asked of Discord when this process has a token."""
        if guild_id not in self._guilds:
            return None
        now = self.clock.now()
        hit = self._members.get((guild_id, user_id))
        if hit is not None and hit[0] > now:
            return hit[1]
        async with self.db.uow(guild_id=guild_id) as uow:
            row = await uow.session.get(GuildMember, (guild_id, user_id))
        if self.names is not None and (row is None or row.updated_at < now - MEMBER_FRESH):
            info = (await self.names.members(guild_id, [user_id])).get(user_id)
        elif row is None:
            info = None
        else:
            info = MemberInfo(user_id, UNKNOWN_USER, role_ids=frozenset(row.role_ids), bot=row.bot)
        if len(self._members) > MEMBER_CACHE_SIZE:
            self._members.clear()
        self._members[(guild_id, user_id)] = (now + MEMBER_CACHE, info)
        return info

    async def memberships(self, user_id: int) -> dict[int, MemberInfo]:
        """The user's recorded, recently confirmed memberships in every live guild, in one query (the server
        list); guilds missing here are asked one by one (``member``)."""
        now = self.clock.now()
        hit = self._memberships.get(user_id)
        if hit is not None and hit[0] > now:
            return {g: m for g, m in hit[1].items() if g in self._guilds}
        fresh_since = now - MEMBER_FRESH
        async with self.db.uow(bypass_rls=True) as uow:
            query = select(GuildMember).where(GuildMember.user_id == user_id)
            if self.names is not None:
                query = query.where(GuildMember.updated_at >= fresh_since)
            rows = (await uow.session.scalars(query)).all()
        found = {
            row.guild_id: MemberInfo(user_id, UNKNOWN_USER, role_ids=frozenset(row.role_ids), bot=row.bot)
            for row in rows
            if row.guild_id in self._guilds
        }
        if len(self._memberships) > MEMBER_CACHE_SIZE:
            self._memberships.clear()
        self._memberships[user_id] = (now + MEMBER_CACHE, found)
        return found

    async def members(self, guild_id: int, user_ids: Iterable[int]) -> dict[int, MemberInfo]:
        """For showing people: names from Discord (never stored); without a token, the recorded members
        as "Unknown user"."""
        ids = list(dict.fromkeys(user_ids))
        if not ids or guild_id not in self._guilds:
            return {}
        if self.names is not None:
            return await self.names.members(guild_id, ids)
        async with self.db.uow(guild_id=guild_id) as uow:
            rows = (
                await uow.session.scalars(
                    select(GuildMember).where(GuildMember.guild_id == guild_id, GuildMember.user_id.in_(ids))
                )
            ).all()
        return {
            row.user_id: MemberInfo(row.user_id, UNKNOWN_USER, role_ids=frozenset(row.role_ids), bot=row.bot)
            for row in rows
        }

    async def search_members(self, guild_id: int, query: str, *, limit: int = 10) -> list[MemberInfo]:
        if self.names is None or guild_id not in self._guilds:
            return []
        return await self.names.search_members(guild_id, query, limit=limit)

    def cached_members(self, guild_id: int) -> list[MemberInfo]:
        return []
