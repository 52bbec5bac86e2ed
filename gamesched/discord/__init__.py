"""The Discord adapter: the bot client and its wiring (commands and views arrive with the bot issue)."""

from gamesched.discord.client import DiscordConnection

__all__ = ["DiscordConnection"]
