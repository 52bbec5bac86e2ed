"""The guilds module's registration: its service, API, settings pages and commands, and the ``page``
dependency every dashboard page uses (the header's server switcher is the viewer's guilds)."""

from __future__ import annotations

from litestar.di import Provide

from gamesched.core.modules import Contribution, ModuleContext
from gamesched.guilds.api import guild_routes
from gamesched.guilds.cog import GuildSettingsCommands
from gamesched.guilds.directory import DiscordDirectory
from gamesched.guilds.page_context import provide_page
from gamesched.guilds.pages import guild_pages
from gamesched.guilds.preferences_cog import PersonalSettingsCommands
from gamesched.guilds.preferences_pages import preference_pages
from gamesched.guilds.service import GuildService
from gamesched.guilds.template_api import template_routes
from gamesched.guilds.template_pages import template_pages


def register(context: ModuleContext) -> Contribution:
    """Needs a ``DiscordDirectory`` (the composition root provides the bot's, or an empty one)."""
    guilds = GuildService(
        db=context.db,
        directory=context.get(DiscordDirectory),
        clock=context.clock,
        live=context.live,
        secret=context.settings.secret_key or "",
        base_url=context.base_url,
    )
    context.provide(GuildService, guilds)
    return Contribution(
        name="guilds",
        routes=[*guild_routes, *template_routes],
        pages=[*guild_pages, *template_pages, *preference_pages],
        dependencies={"guilds": guilds, "page": Provide(provide_page)},
        cogs=[GuildSettingsCommands(guilds=guilds), PersonalSettingsCommands(preferences=guilds.preferences)]
        if context.bot is not None
        else [],
    )
