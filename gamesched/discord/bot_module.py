"""Wires the bot's features onto the client: cogs, persistent buttons, event handlers, jobs, command sync.

Called once by the composition root (``attach_bot``) before the bot connects; a second call is a no-op.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import discord
import structlog
from discord.ext import commands

from gamesched.config import Settings
from gamesched.core.bus import EventBus
from gamesched.core.clock import Clock, SystemClock
from gamesched.core.queue import JobQueue
from gamesched.discord.errors import install_error_handler
from gamesched.games import GameService
from gamesched.games.cog import AnnouncementWatch, GameCommands
from gamesched.games.handlers import Announcer
from gamesched.games.views import ButtonsHost, GameButton
from gamesched.guilds import GuildService
from gamesched.guilds.cog import GuildSettingsCommands
from gamesched.notifications import Notifier
from gamesched.notifications.handlers import GameDMs

log = structlog.get_logger(__name__)

DEFAULT_JOIN_DM_DELAY_SECONDS = 60.0


@dataclass
class BotFeatures:
    """What ``attach_bot`` set up, for the process (and tests) to look at."""

    announcer: Announcer
    dms: GameDMs
    #: Set once the slash commands are synced (per guild in sandbox/dev, globally otherwise).
    commands_synced: asyncio.Event = field(default_factory=asyncio.Event)
    synced_guilds: set[int] = field(default_factory=set)


_ATTACHED: weakref.WeakKeyDictionary[discord.Client, BotFeatures] = weakref.WeakKeyDictionary()


def features_of(bot: discord.Client) -> BotFeatures | None:
    return _ATTACHED.get(bot)


@dataclass
class GameReactions:
    """How every process reacts to game events: it writes announcement-refresh and DM jobs (no Discord
    call), so a web-only process's changes still reach Discord through the process that runs the bot."""

    announcer: Announcer
    dms: GameDMs


def subscribe_game_reactions(
    *,
    games: GameService,
    notifier: Notifier,
    queue: JobQueue,
    bus: EventBus,
    settings: Settings,
    base_url: str,
    clock: Clock | None = None,
    join_dm_delay: float | None = None,
    refresh_delay: float | None = None,
) -> GameReactions:
    clock = clock or games.clock or SystemClock()
    delay = join_dm_delay
    if delay is None:
        delay = float(getattr(settings, "join_dm_delay_seconds", DEFAULT_JOIN_DM_DELAY_SECONDS))
    announcer_options: dict[str, Any] = {}
    if refresh_delay is not None:
        announcer_options["refresh_delay"] = timedelta(seconds=refresh_delay)
    announcer = Announcer(
        bot=None,
        games=games,
        notifier=notifier,
        queue=queue,
        db=games.db,
        clock=clock,
        base_url=base_url,
        **announcer_options,
    )
    dms = GameDMs(
        games=games,
        notifier=notifier,
        db=games.db,
        clock=clock,
        base_url=base_url,
        join_dm_delay=timedelta(seconds=delay),
    )
    announcer.subscribe(bus)
    dms.register(bus)
    return GameReactions(announcer=announcer, dms=dms)


async def attach_bot(
    bot: commands.Bot,
    *,
    games: GameService,
    guilds: GuildService,
    notifier: Notifier,
    queue: JobQueue,
    bus: EventBus,
    settings: Settings,
    base_url: str,
    clock: Clock | None = None,
    reactions: GameReactions | None = None,
    join_dm_delay: float | None = None,
    refresh_delay: float | None = None,
) -> BotFeatures:
    """Add the games and settings commands, the Join/Leave buttons, announcements and DMs to ``bot``."""
    existing = _ATTACHED.get(bot)
    if existing is not None:
        return existing
    clock = clock or games.clock or SystemClock()
    if reactions is None:
        reactions = subscribe_game_reactions(
            games=games,
            notifier=notifier,
            queue=queue,
            bus=bus,
            settings=settings,
            base_url=base_url,
            clock=clock,
            join_dm_delay=join_dm_delay,
            refresh_delay=refresh_delay,
        )
    announcer, dms = reactions.announcer, reactions.dms
    announcer.register_jobs(bot)
    features = BotFeatures(announcer=announcer, dms=dms)
    _ATTACHED[bot] = features
    install_error_handler(bot.tree)
    bot.add_dynamic_items(GameButton)
    await bot.add_cog(ButtonsHost(games=games))
    await bot.add_cog(GameCommands(games=games, guilds=guilds, clock=clock, base_url=base_url))
    await bot.add_cog(AnnouncementWatch(announcer=announcer))
    await bot.add_cog(GuildSettingsCommands(guilds=guilds))
    # Guild commands show up at once (sandbox, local development); global ones can take a while.
    per_guild = settings.sandbox or bool(getattr(settings, "sandbox_url", None))
    await bot.add_cog(CommandSync(bot=bot, features=features, per_guild=per_guild))
    return features


class CommandSync(commands.Cog, name="CommandSync"):
    """Registers the slash commands with Discord once connected: per guild (instant) in sandbox/dev,
    globally (may take a while to show up) otherwise."""

    def __init__(self, *, bot: commands.Bot, features: BotFeatures, per_guild: bool) -> None:
        self.bot = bot
        self.features = features
        self.per_guild = per_guild

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        try:
            if self.per_guild:
                for guild in self.bot.guilds:
                    await self._sync_guild(guild)
            elif not self.features.commands_synced.is_set():
                synced = await self.bot.tree.sync()
                log.info("discord_commands_synced", scope="global", commands=len(synced))
        except discord.HTTPException as exc:
            log.error("discord_commands_sync_failed", error=str(exc))
            return
        self.features.commands_synced.set()

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        if self.per_guild:
            try:
                await self._sync_guild(guild)
            except discord.HTTPException as exc:
                log.error("discord_commands_sync_failed", guild_id=guild.id, error=str(exc))

    async def _sync_guild(self, guild: discord.Guild) -> None:
        if guild.id in self.features.synced_guilds:
            return
        self.bot.tree.copy_global_to(guild=guild)
        synced = await self.bot.tree.sync(guild=guild)
        self.features.synced_guilds.add(guild.id)
        log.info("discord_commands_synced", scope="guild", guild_id=guild.id, commands=len(synced))
