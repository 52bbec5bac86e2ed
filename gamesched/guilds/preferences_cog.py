"""/settings timezone: a person's own time zone, the Discord twin of the dashboard's settings page.

Anyone may use it, in any server or in a DM with the bot: it is their setting, not the server's. Zone names
are offered as they are typed (Discord shows at most 25).
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from gamesched.core.time_zones import MAX_CHOICES, local_words, zone_choices
from gamesched.discord_kit import respond
from gamesched.guilds.preferences import PreferenceService

#: What forgets the chosen zone (times are then read in UTC in Discord).
CLEAR_WORDS = ("none", "clear", "reset", "-")


class PersonalSettingsCommands(commands.Cog, name="PersonalSettingsCommands"):
    settings = app_commands.Group(name="settings", description="Your own settings, the same in every server")

    def __init__(self, *, preferences: PreferenceService) -> None:
        self.preferences = preferences

    @settings.command(name="timezone", description="The time zone you type and read times in")
    @app_commands.describe(zone="Your zone, such as Europe/Berlin or America/New_York ('none' to forget it)")
    async def timezone(
        self, interaction: discord.Interaction[Any], zone: app_commands.Range[str, 1, 64] | None = None
    ) -> None:
        await respond(interaction, self._timezone(interaction.user.id, zone))

    @timezone.autocomplete("zone")
    async def _zone_choices(
        self, interaction: discord.Interaction[Any], typed: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=n) for n in zone_choices(typed, MAX_CHOICES)]

    async def _timezone(self, user_id: int, typed: str | None) -> str:
        now = self.preferences.clock.now()
        if typed is None:
            current = await self.preferences.time_zone(user_id)
            if current is None:
                return (
                    "You have no time zone set: /game create reads times in UTC. Set yours with "
                    "/settings timezone zone:Europe/Berlin (pick from the list as you type)."
                )
            return f"Your time zone is **{current.key}** (now {local_words(now, current, 'time')})."
        if typed.strip().casefold() in CLEAR_WORDS:
            await self.preferences.set_time_zone(user_id, None)
            return "Your time zone is forgotten: /game create reads times in UTC again."
        zone = await self.preferences.set_time_zone(user_id, typed)
        assert zone is not None
        return (
            f"Your time zone is now **{zone.key}** (it is {local_words(now, zone, 'time')} there). "
            "/game create reads the times you type in it, and the dashboard shows times in it."
        )
