"""GameService: the games use cases, by theme, for the web API, the pages, the bot and other modules.

- ``lifecycle`` (lifecycle.py): create, edit, cancel, scheduled transitions, the announcement's message id;
- ``signups`` (signups.py): join and leave, and the host's add / remove / reorder / replace;
- ``queries`` (queries.py): one game, a guild's games, a person's games, the game behind a message;
- ``images`` (images.py): the game's thumbnail and banner;
- ``clones`` (clones.py) and ``confirmations`` (confirmations.py): a copy of a game at a new time, with the
  places it carries over and those that wait to be confirmed.
- ``series`` (series.py): recurring games, each made through ``lifecycle.create``.

Each checks guild membership first (``GameUseCase._enter``) unless it is a trusted system path that is
given the guild.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from typing import TYPE_CHECKING

from gamesched.core.clock import Clock
from gamesched.core.db import Database
from gamesched.core.queue import JobQueue
from gamesched.games.clones import GameClones
from gamesched.games.confirmations import GameConfirmations
from gamesched.games.images import GameImages
from gamesched.games.lifecycle import GameLifecycle
from gamesched.games.queries import GameQueries
from gamesched.games.schedule import GameSchedule
from gamesched.games.series import GameSeriesService
from gamesched.games.signups import GameSignups
from gamesched.games.told import Telling
from gamesched.images import ImageStore

if TYPE_CHECKING:
    from gamesched.guilds import GuildService


class GameService:
    def __init__(
        self,
        *,
        db: Database,
        guilds: GuildService,
        clock: Clock,
        schedule: GameSchedule | None = None,
        images: ImageStore | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        # A private queue if none is given (tests of the service alone).
        schedule = schedule or GameSchedule(queue=JobQueue(clock=clock), clock=clock)
        guild_by_game: OrderedDict[uuid.UUID, int] = OrderedDict()
        #: Who a host's change DMs: filled by the notifications module (games/told.py).
        self.telling = Telling()
        self.lifecycle = GameLifecycle(
            db=db,
            guilds=guilds,
            clock=clock,
            schedule=schedule,
            guild_by_game=guild_by_game,
            telling=self.telling,
        )
        self.signups = GameSignups(
            db=db,
            guilds=guilds,
            clock=clock,
            schedule=schedule,
            guild_by_game=guild_by_game,
            telling=self.telling,
        )
        self.queries = GameQueries(
            db=db,
            guilds=guilds,
            clock=clock,
            schedule=schedule,
            guild_by_game=guild_by_game,
            telling=self.telling,
        )
        shared = {
            "db": db,
            "guilds": guilds,
            "clock": clock,
            "schedule": schedule,
            "guild_by_game": guild_by_game,
            "telling": self.telling,
        }
        #: Cloning, and the carried places that wait to be confirmed (clones.py, confirmations.py).
        self.clones = GameClones(lifecycle=self.lifecycle, queries=self.queries, **shared)
        self.confirmations = GameConfirmations(signups=self.signups, **shared)
        self.images = GameImages(
            store=images or ImageStore(db=db, queue=schedule.queue, clock=clock),
            db=db,
            guilds=guilds,
            clock=clock,
            schedule=schedule,
            guild_by_game=guild_by_game,
            telling=self.telling,
        )
        self.series = GameSeriesService(
            db=db,
            guilds=guilds,
            clock=clock,
            schedule=schedule,
            guild_by_game=guild_by_game,
            telling=self.telling,
        )
        self.series.lifecycle = self.lifecycle
