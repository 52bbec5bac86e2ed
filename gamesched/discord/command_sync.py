"""Registers the slash commands with Discord once connected: per guild (shows at once) in the sandbox and
local development, globally (may take a while to show up) otherwise."""

from __future__ import annotations

import asyncio

import discord
import structlog
from discord.ext import commands

log = structlog.get_logger(__name__)


class CommandSync(commands.Cog, name="CommandSync"):
    def __init__(self, *, bot: commands.Bot, per_guild: bool) -> None:
        self.bot = bot
        self.per_guild = per_guild
        #: Set once the slash commands are synced.
        self.synced = asyncio.Event()
        self.synced_guilds: set[int] = set()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        try:
            if self.per_guild:
                for guild in self.bot.guilds:
                    await self._sync_guild(guild)
            elif not self.synced.is_set():
                synced = await self.bot.tree.sync()
                log.info("discord_commands_synced", scope="global", commands=len(synced))
        except discord.HTTPException as exc:
            log.error("discord_commands_sync_failed", error=str(exc))
            return
        self.synced.set()

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        if self.per_guild:
            try:
                await self._sync_guild(guild)
            except discord.HTTPException as exc:
                log.error("discord_commands_sync_failed", guild_id=guild.id, error=str(exc))

    async def _sync_guild(self, guild: discord.Guild) -> None:
        if guild.id in self.synced_guilds:
            return
        self.bot.tree.copy_global_to(guild=guild)
        synced = await self.bot.tree.sync(guild=guild)
        self.synced_guilds.add(guild.id)
        log.info("discord_commands_synced", scope="guild", guild_id=guild.id, commands=len(synced))
