"""Keeps the guilds module — and with it the shared projection of Discord in PostgreSQL that processes without
the gateway read — in step with Discord: guilds joined and left; channels and roles created, changed,
deleted; members joining, leaving and changing roles (ids only, never names)."""

from __future__ import annotations

import asyncio
import time

import discord
import structlog
from discord.ext import commands

from gamesched.discord.directory import BotDirectory, channel_info, guild_info, member_info
from gamesched.guilds import GuildService, MemberInfo

log = structlog.get_logger(__name__)

#: A member seen again (a click) with the same roles is written again after this long, so processes reading
#: the projection find their row confirmed (``gamesched.guilds.projection.MEMBER_FRESH`` is 15 minutes).
RECONFIRM_SECONDS = 300.0
#: Members seen in interactions are written this long after the first of them, together.
RECORD_DELAY_SECONDS = 1.0


class GuildSync(commands.Cog):
    def __init__(self, *, guilds: GuildService, directory: BotDirectory, synced: asyncio.Event) -> None:
        self.guilds = guilds
        self.directory = directory
        self.initial_sync_done = synced
        #: Members seen by the directory, waiting to be written together off the clicks' path.
        self._unrecorded: dict[tuple[int, int], MemberInfo | None] = {}
        self._flush: asyncio.TimerHandle | None = None
        self._pending: set[asyncio.Task[None]] = set()
        #: (guild, user) → the role ids last recorded and when (monotonic), so a member seen on every click
        #: is written when their roles change, or at most every ``RECONFIRM_SECONDS`` to keep the row fresh.
        self._recorded: dict[tuple[int, int], tuple[frozenset[int] | None, float]] = {}
        directory.member_observers.append(self.member_seen)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        bot_guilds = [g for g in self.directory.client.guilds if not g.unavailable]
        for guild in bot_guilds:
            await self.sync(guild)
        self.initial_sync_done.set()
        log.info("discord_guilds_synced", guilds=len(bot_guilds))

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.sync(guild)

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        """A guild back after an outage — or joined, when its GUILD_CREATE says ``unavailable: false`` (as the
        sandbox's does; discord.py then reports it as available, not joined). Not sent while connecting:
        ``on_ready`` syncs those."""
        await self.sync(guild)

    @commands.Cog.listener()
    async def on_guild_update(self, _before: discord.Guild, after: discord.Guild) -> None:
        await self.guilds.sync_guild(guild_info(after))

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.guilds.guild_left(guild.id)

    @commands.Cog.listener()
    async def on_guild_channel_create(self, channel: discord.abc.GuildChannel) -> None:
        await self.guilds.channel_changed(channel_info(channel))

    @commands.Cog.listener()
    async def on_guild_channel_update(
        self, _before: discord.abc.GuildChannel, after: discord.abc.GuildChannel
    ) -> None:
        await self.guilds.channel_changed(channel_info(after))

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self.guilds.channel_deleted(channel.guild.id, channel.id)

    @commands.Cog.listener()
    async def on_guild_role_create(self, role: discord.Role) -> None:
        await self.guilds.sync_guild(guild_info(role.guild))

    @commands.Cog.listener()
    async def on_guild_role_update(self, _before: discord.Role, after: discord.Role) -> None:
        await self.guilds.sync_guild(guild_info(after.guild))

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        await self.guilds.sync_guild(guild_info(role.guild))

    @commands.Cog.listener()
    async def on_guild_emojis_update(self, guild: discord.Guild, _before: object, _after: object) -> None:
        await self.guilds.sync_guild(guild_info(guild))

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        await self._record(member.guild.id, member.id, member_info(member))

    @commands.Cog.listener()
    async def on_member_update(self, _before: discord.Member, after: discord.Member) -> None:
        self.directory.forget_member(after.guild.id, after.id)
        if self.directory.client.user is not None and after.id == self.directory.client.user.id:
            # The bot's own roles changed: so may its permissions in every channel.
            await self.guilds.sync_guild(guild_info(after.guild))
        await self._record(after.guild.id, after.id, member_info(after))

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        self.directory.forget_member(payload.guild_id, payload.user.id)
        await self._record(payload.guild_id, payload.user.id, None)

    async def sync(self, guild: discord.Guild) -> None:
        """A guild and, with the members intent, every member the gateway gave (role ids only)."""
        await self.guilds.sync_guild(guild_info(guild))
        members = [member_info(m) for m in guild.members]
        await self.guilds.members_seen(guild.id, members)
        now = time.monotonic()
        self._recorded.update(((guild.id, m.user_id), (m.role_ids, now)) for m in members)

    def member_seen(self, guild_id: int, user_id: int, info: MemberInfo | None) -> None:
        """A member the directory looked up or an interaction carried: recorded in the background, with the
        others seen within ``RECORD_DELAY_SECONDS``, when their roles differ from the last ones recorded (a
        click never waits for it)."""
        last = self._recorded.get((guild_id, user_id))
        roles = info.role_ids if info else None
        if last is not None and last[0] == roles and time.monotonic() - last[1] < RECONFIRM_SECONDS:
            return
        self._unrecorded[(guild_id, user_id)] = info
        if self._flush is None:
            loop = asyncio.get_running_loop()
            self._flush = loop.call_later(RECORD_DELAY_SECONDS, self._start_flush)

    async def cog_unload(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None

    def _start_flush(self) -> None:
        self._flush = None
        task = asyncio.get_running_loop().create_task(self.record_seen())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def record_seen(self) -> None:
        """Write the members seen since the last time: one statement per guild, not one per click."""
        seen, self._unrecorded = self._unrecorded, {}
        by_guild: dict[int, list[MemberInfo]] = {}
        for (guild_id, user_id), info in seen.items():
            if info is None:
                await self._record(guild_id, user_id, None)
            else:
                by_guild.setdefault(guild_id, []).append(info)
        for guild_id, members in by_guild.items():
            try:
                await self.guilds.members_seen(guild_id, members)
            except Exception as exc:  # the database is out of reach: the next sighting records them
                log.warning("members_record_failed", guild_id=guild_id, error=str(exc))
                continue
            now = time.monotonic()
            self._recorded.update(((guild_id, m.user_id), (m.role_ids, now)) for m in members)

    async def _record(self, guild_id: int, user_id: int, info: MemberInfo | None) -> None:
        try:
            if info is None:
                await self.guilds.member_left(guild_id, user_id)
            else:
                await self.guilds.members_seen(guild_id, [info])
        except Exception as exc:  # the database is out of reach: the next event or sighting records them
            log.warning("member_record_failed", guild_id=guild_id, error=str(exc))
            return
        self._recorded[(guild_id, user_id)] = (info.role_ids if info else None, time.monotonic())
