"""Keeps the guilds module in step with Discord: guilds joined and left, channels created, changed, deleted."""

from __future__ import annotations

import asyncio

import discord
import structlog
from discord.ext import commands

from gamesched.discord.directory import BotDirectory, channel_info, guild_info
from gamesched.guilds import GuildService

log = structlog.get_logger(__name__)


class GuildSync(commands.Cog):
    def __init__(self, *, guilds: GuildService, directory: BotDirectory, synced: asyncio.Event) -> None:
        self.guilds = guilds
        self.directory = directory
        self.initial_sync_done = synced

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        bot_guilds = [g for g in self.directory.client.guilds if not g.unavailable]
        for guild in bot_guilds:
            await self.guilds.sync_guild(guild_info(guild))
        self.initial_sync_done.set()
        log.info("discord_guilds_synced", guilds=len(bot_guilds))

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.guilds.sync_guild(guild_info(guild))

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        """A guild back after an outage — or joined, when its GUILD_CREATE says ``unavailable: false`` (as the
        sandbox's does; discord.py then reports it as available, not joined). Not sent while connecting:
        ``on_ready`` syncs those."""
        await self.guilds.sync_guild(guild_info(guild))

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
    async def on_member_update(self, _before: discord.Member, after: discord.Member) -> None:
        self.directory.forget_member(after.guild.id, after.id)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        self.directory.forget_member(payload.guild_id, payload.user.id)
