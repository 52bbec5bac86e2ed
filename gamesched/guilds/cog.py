"""/config-guild and /config-channel: the settings pages' Discord twin.

Discord hides the commands from members without Manage Server / Manage Channels
(``default_permissions``, which server admins may loosen); the guilds service checks again on every
change, with the same rules as the web. With no options, a command shows the current settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from gamesched.core.errors import Invalid
from gamesched.discord_kit import respond
from gamesched.guilds.bot_access import what_to_grant
from gamesched.guilds.models import Channel, Guild
from gamesched.guilds.service import GuildService
from gamesched.guilds.settings import EffectiveSettings, resolve_settings

GuildReset = Literal[
    "max_players", "reminders", "instructions", "host_roles", "manager_roles", "player_roles"
]
ChannelReset = Literal["max_players", "reminders", "instructions", "host_roles", "player_roles", "category"]
RESET_FIELDS = {
    "max_players": "max_players",
    "reminders": "reminder_minutes",
    "instructions": "signup_instructions",
    "host_roles": "host_role_ids",
    "manager_roles": "manager_role_ids",
    "player_roles": "player_role_ids",
    "category": "category",
}
SOURCE_NAMES = {"guild": "server", "channel": "channel", "default": "default", "game": "game"}
CLEAR_WORDS = ("none", "off", "clear", "-")


class GuildSettingsCommands(commands.Cog, name="GuildSettingsCommands"):
    def __init__(self, *, guilds: GuildService) -> None:
        self.guilds = guilds

    @app_commands.command(name="config-guild", description="Server-wide game defaults (bot managers)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(
        max_players="Default seats per game (1-100)",
        reminders="Minutes before the start to remind players, e.g. 60, 15 (or 'none')",
        instructions="Default signup instructions (or 'none')",
        host_role="Add a role allowed to host games",
        manager_role="Add a bot manager role",
        player_role="Add a role allowed to join games",
        reset="Put one setting back to its default",
    )
    async def config_guild(
        self,
        interaction: discord.Interaction[Any],
        max_players: app_commands.Range[int, 1, 100] | None = None,
        reminders: str | None = None,
        instructions: str | None = None,
        host_role: discord.Role | None = None,
        manager_role: discord.Role | None = None,
        player_role: discord.Role | None = None,
        reset: GuildReset | None = None,
    ) -> None:
        options = {
            "max_players": max_players,
            "reminders": reminders,
            "instructions": instructions,
            "host_role": host_role,
            "manager_role": manager_role,
            "player_role": player_role,
            "reset": reset,
        }
        await respond(interaction, self._config_guild(interaction, options))

    @app_commands.command(name="config-channel", description="Game settings of one channel")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.describe(
        channel="The channel to set up (this one if left out)",
        active="Whether games may be posted in the channel",
        category="A label to group the channel's games",
        max_players="Seats per game in this channel (1-100)",
        reminders="Minutes before the start to remind players, e.g. 60, 15 (or 'none')",
        instructions="Signup instructions for this channel (or 'none')",
        host_role="Add a role allowed to host games here",
        player_role="Add a role allowed to join games here",
        reset="Inherit one setting from the server again",
    )
    async def config_channel(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel | None = None,
        active: bool | None = None,
        category: str | None = None,
        max_players: app_commands.Range[int, 1, 100] | None = None,
        reminders: str | None = None,
        instructions: str | None = None,
        host_role: discord.Role | None = None,
        player_role: discord.Role | None = None,
        reset: ChannelReset | None = None,
    ) -> None:
        channel_id = channel.id if channel else (interaction.channel_id or 0)
        options = {
            "is_active": active,
            "category": category,
            "max_players": max_players,
            "reminders": reminders,
            "instructions": instructions,
            "host_role": host_role,
            "player_role": player_role,
            "reset": reset,
        }
        await respond(interaction, self._config_channel(interaction, channel_id, options))

    async def _config_guild(self, interaction: discord.Interaction[Any], options: Mapping[str, Any]) -> str:
        guild_id = _guild_id(interaction)
        access = await self.guilds.access(guild_id, interaction.user.id)
        record = await self.guilds.get_guild(guild_id)
        changes = settings_changes(options, record)
        if changes:
            record = await self.guilds.update_guild_settings(access, changes)
            heading = "Server settings saved."
        else:
            heading = "Server settings:"
        settings = resolve_settings(guild=record.settings())
        managers = _roles(record.manager_role_ids) or "owner, Administrator and Manage Server"
        return f"{heading}\n{describe(settings)}\nBot managers: {managers}"

    async def _config_channel(
        self, interaction: discord.Interaction[Any], channel_id: int, options: Mapping[str, Any]
    ) -> str:
        guild_id = _guild_id(interaction)
        access = await self.guilds.access(guild_id, interaction.user.id, channel_id=channel_id)
        channel = _channel(await self.guilds.list_channels(guild_id), channel_id)
        changes = settings_changes(options, channel)
        if changes:
            channel = await self.guilds.update_channel_settings(access, channel_id, changes)
            heading = f"Settings of <#{channel_id}> saved."
        else:
            heading = f"Settings of <#{channel_id}>:"
        record = await self.guilds.get_guild(guild_id)
        settings = resolve_settings(guild=record.settings(), channel=channel.settings())
        state = "open for games" if channel.is_active else "closed for games"
        category = f" · category {channel.category}" if channel.category else ""
        bot = bot_line(self.guilds.bot_missing(guild_id, channel_id), channel_id)
        return f"{heading}\n<#{channel_id}> is {state}{category}.{bot}\n{describe(settings)}"


def bot_line(missing: list[str] | None, channel_id: int) -> str:
    """Whether the bot can announce games in the channel (nothing when it does not know the channel)."""
    if missing is None:
        return ""
    if missing:
        return f"\n⚠ I can't post in <#{channel_id}>: give me {what_to_grant(missing)} there."
    return f"\nI can post in <#{channel_id}>."


def settings_changes(options: Mapping[str, Any], current: Guild | Channel) -> dict[str, Any]:
    """Turn command options into the service's ``changes`` (a role option adds that role)."""
    changes: dict[str, Any] = {}
    for name in ("is_active", "max_players", "category"):
        if options.get(name) is not None:
            changes[name] = options[name]
    if options.get("reminders") is not None:
        changes["reminder_minutes"] = parse_reminders(options["reminders"])
    if options.get("instructions") is not None:
        text = str(options["instructions"]).strip()
        changes["signup_instructions"] = None if text.lower() in CLEAR_WORDS else text
    for option, field in (
        ("host_role", "host_role_ids"),
        ("manager_role", "manager_role_ids"),
        ("player_role", "player_role_ids"),
    ):
        role = options.get(option)
        if role is not None:
            existing = list(getattr(current, field) or [])
            changes[field] = existing if role.id in existing else [*existing, role.id]
    if options.get("reset") is not None:
        changes[RESET_FIELDS[options["reset"]]] = None
    return changes


def parse_reminders(text: str) -> list[int] | None:
    """'60, 15' → [60, 15]; 'none' → None (back to the inherited value)."""
    cleaned = text.strip().lower()
    if cleaned in CLEAR_WORDS:
        return None
    try:
        minutes = [int(part) for part in cleaned.replace(",", " ").split()]
    except ValueError:
        minutes = []
    if not minutes or any(not 1 <= m <= 10080 for m in minutes) or len(minutes) > 10:
        raise Invalid(
            "Reminders are minutes before the start (1 to 10080), separated by commas, like 60, 15.",
            field="reminder_minutes",
        )
    return minutes


def describe(settings: EffectiveSettings) -> str:
    def source(name: str) -> str:
        return SOURCE_NAMES[getattr(settings, name).source]

    reminders = ", ".join(str(m) for m in settings.reminder_minutes.value) or "none"
    instructions = settings.signup_instructions.value.strip() or "none"
    if len(instructions) > 200:
        instructions = instructions[:199] + "…"
    lines = [
        f"Max players: {settings.max_players.value} ({source('max_players')})",
        f"Reminders: {reminders} minutes before ({source('reminder_minutes')})",
        f"Signup instructions: {instructions} ({source('signup_instructions')})",
        f"Host roles: {_roles(settings.host_role_ids.value) or 'bot managers only'} ({source('host_role_ids')})",
        f"Player roles: {_roles(settings.player_role_ids.value) or 'everyone'} ({source('player_role_ids')})",
    ]
    return "\n".join(lines)


def _roles(role_ids: Iterable[int] | None) -> str:
    return " ".join(f"<@&{r}>" for r in role_ids or ())


def _channel(channels: Iterable[Channel], channel_id: int) -> Channel:
    for channel in channels:
        if channel.id == channel_id:
            return channel
    raise Invalid("That channel is not one the bot can post games in.", field="channel_id")


def _guild_id(interaction: discord.Interaction[Any]) -> int:
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id
