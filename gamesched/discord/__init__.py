"""The Discord adapter: the bot client, the modules' view of Discord (directory), DM delivery, guild sync,
and putting the modules' cogs and buttons on the bot. Only the composition root imports it."""

from gamesched.discord.bot_messenger import BotMessenger
from gamesched.discord.client import DiscordConnection, DiscordRefused, GameschedBot
from gamesched.discord.command_sync import CommandSync
from gamesched.discord.directory import BotDirectory, EmptyDirectory, RestMembers
from gamesched.discord.features import attach_features
from gamesched.discord.guild_sync import GuildSync
from gamesched.discord.rate_limit import pace_requests

__all__ = [
    "BotDirectory",
    "BotMessenger",
    "CommandSync",
    "DiscordConnection",
    "DiscordRefused",
    "EmptyDirectory",
    "GameschedBot",
    "GuildSync",
    "RestMembers",
    "attach_features",
    "pace_requests",
]
