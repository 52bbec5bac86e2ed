"""Tries refused announcements again as soon as the bot's permissions change.

Discord tells the bot when a channel's overwrites change (CHANNEL_UPDATE), when a role's permissions change
(GUILD_ROLE_UPDATE) and when its own roles change (GUILD_MEMBER_UPDATE, sent for the bot itself even without
the members intent). Each may let the bot post where it could not: the games of that channel (or of the whole
guild) whose announcement is missing or was refused get a refresh. A refresh that is refused again says
nothing new; one that goes through clears the game's problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ext import commands

if TYPE_CHECKING:
    from gamesched.games.announcer import Announcer


class PermissionWatch(commands.Cog, name="PermissionWatch"):
    def __init__(self, *, announcer: Announcer) -> None:
        self.announcer = announcer

    @commands.Cog.listener()
    async def on_guild_channel_update(
        self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel
    ) -> None:
        me = after.guild.me
        if me is not None and before.permissions_for(me) != after.permissions_for(me):
            await self.announcer.retry_blocked(after.guild.id, channel_id=after.id)

    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        me = after.guild.me
        mine = me is not None and (after.is_default() or after in me.roles)
        if mine and before.permissions != after.permissions:
            await self.announcer.retry_blocked(after.guild.id)

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if after.id == after.guild.me.id and before.roles != after.roles:
            await self.announcer.retry_blocked(after.guild.id)
