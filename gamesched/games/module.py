"""The games module's registration: the service, API and pages; the announcement that follows each game;
its timed work; live page updates; and, where the bot runs, the slash commands and Join/Leave buttons."""

from __future__ import annotations

from gamesched.core.locks import AdvisoryLocks
from gamesched.core.modules import Contribution, JobSpec, ModuleContext
from gamesched.games.announcement_check import CHECK, AnnouncementCheck
from gamesched.games.announcement_problems import AnnouncementProblems
from gamesched.games.announcer import Announcer
from gamesched.games.api import game_routes
from gamesched.games.calendar import CalendarController, Calendars, calendar_feed
from gamesched.games.cog import AnnouncementWatch, GameCommands
from gamesched.games.jobs import GameTimers
from gamesched.games.live_updates import live_update_subscriptions
from gamesched.games.pages import game_pages
from gamesched.games.permission_watch import PermissionWatch
from gamesched.games.schedule import GameSchedule
from gamesched.games.series_api import series_routes
from gamesched.games.service import GameService
from gamesched.games.views import ButtonsHost, GameButton, PlaceButton
from gamesched.guilds import GuildService
from gamesched.images import ImageStore


def register(context: ModuleContext) -> Contribution:
    """Needs the guilds. Every process writes announcement refreshes (a web-only process's changes reach
    Discord through the process that runs the bot); only the bot's process runs them."""
    guilds = context.get(GuildService)
    games = GameService(
        db=context.db,
        guilds=guilds,
        clock=context.clock,
        schedule=GameSchedule(queue=context.queue, clock=context.clock),
        images=context.get(ImageStore),
    )
    context.provide(GameService, games)
    calendars = Calendars(
        games=games, guilds=guilds, secret=context.settings.secret_key or "", base_url=context.base_url
    )
    announcer = Announcer(
        bot=context.bot,
        games=games,
        queue=context.queue,
        db=context.db,
        clock=context.clock,
        base_url=context.base_url,
        problems=AnnouncementProblems(db=context.db, guilds=guilds),
        calendars=calendars,
        guilds=guilds,
        locks=context.find(AdvisoryLocks),
    )
    context.provide(Announcer, announcer)
    contribution = Contribution(
        name="games",
        routes=[*game_routes, *series_routes, CalendarController, calendar_feed],
        pages=list(game_pages),
        dependencies={"games": games, "calendars": calendars},
        jobs=GameTimers(games=games, clock=context.clock).jobs(),
        subscriptions=[*announcer.subscriptions(), *live_update_subscriptions(context.live)],
    )
    if context.bot is not None:
        check = AnnouncementCheck(announcer)
        contribution.jobs = [
            *contribution.jobs,
            *announcer.jobs(),
            JobSpec(CHECK, check.check_batch, gateway=True),
        ]
        contribution.cogs += [
            ButtonsHost(games=games),
            GameCommands(
                games=games,
                guilds=guilds,
                clock=context.clock,
                base_url=context.base_url,
                cache=context.cache,
            ),
            AnnouncementWatch(announcer=announcer, check=check),
            PermissionWatch(announcer=announcer),
        ]
        contribution.dynamic_items += [GameButton, PlaceButton]
    return contribution
