"""The Discord adapter: the bot client, the modules' view of Discord, and guild sync."""

from gamesched.discord.client import DiscordConnection, GameschedBot
from gamesched.discord.directory import BotDirectory, EmptyDirectory
from gamesched.discord.sync import GuildSync

__all__ = ["BotDirectory", "DiscordConnection", "EmptyDirectory", "GameschedBot", "GuildSync"]
