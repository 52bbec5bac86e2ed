"""Puts the modules' Discord features on the bot: one error translator for every command and button, the
persistent buttons, the cogs, guild sync and command sync. Called once, before the bot connects."""

from __future__ import annotations

from collections.abc import Sequence

from discord.ext import commands

from gamesched.core.modules import Contribution
from gamesched.discord.command_sync import CommandSync
from gamesched.discord_kit import install_error_handler


async def attach_features(
    bot: commands.Bot, contributions: Sequence[Contribution], *, per_guild_commands: bool
) -> CommandSync:
    """Add every module's cogs and dynamic items to ``bot``; returns the command sync (``synced`` event)."""
    install_error_handler(bot.tree)
    for contribution in contributions:
        for item in contribution.dynamic_items:
            bot.add_dynamic_items(item)
        for cog in contribution.cogs:
            await bot.add_cog(cog)
    sync = CommandSync(bot=bot, per_guild=per_guild_commands)
    await bot.add_cog(sync)
    return sync
