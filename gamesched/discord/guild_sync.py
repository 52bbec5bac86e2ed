"""Keeps the guilds module — and with it the shared projection of Discord in PostgreSQL that processes without
the gateway read — in step with Discord: guilds joined and left; channels and roles created, changed,
deleted; members joining, leaving and changing roles (ids only, never names)."""

from __future__ import annotations

import asyncio

import discord
import structlog
from discord.ext import commands

from gamesched.discord.directory import BotDirectory, channel_info, guild_info, member_info
from gamesched.guilds import GuildService, MemberInfo

log = structlog.get_logger(__name__)


class GuildSync(commands.Cog):
    def __init__(self, *, guilds: GuildService, directory: BotDirectory, synced: asyncio.Event) -> None:
        self.guilds = guilds
        self.directory = directory
        self.initial_sync_done = synced
        #: Writes to the projection started off an interaction's path (kept so they are not collected).
        self._pending: set[asyncio.Task[None]] = set()
        #: (guild, user) → the role ids last recorded, so a member seen on every click is written once.
        self._recorded: dict[tuple[int, int], frozenset[int] | None] = {}
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
        self._recorded.update(((guild.id, m.user_id), m.role_ids) for m in members)

    def member_seen(self, guild_id: int, user_id: int, info: MemberInfo | None) -> None:
        """A member the directory looked up or an interaction carried: recorded in the background when their
        roles differ from the last ones recorded (a click never waits for it)."""
        if self._recorded.get((guild_id, user_id), ()) == (info.role_ids if info else None):
            return
        task = asyncio.get_running_loop().create_task(self._record(guild_id, user_id, info))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _record(self, guild_id: int, user_id: int, info: MemberInfo | None) -> None:
        try:
            if info is None:
                await self.guilds.member_left(guild_id, user_id)
            else:
                await self.guilds.members_seen(guild_id, [info])
        except Exception:
            log.exception("member_record_failed", guild_id=guild_id)
            return
        self._recorded[(guild_id, user_id)] = info.role_ids if info else None
