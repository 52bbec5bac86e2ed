"""When Discord refuses a game's announcement for want of permissions, the game remembers it.

``games.announcement_problem`` holds what the bot lacks in the game's channel (NULL while all is well), so the
game page can say so after a restart, and the permission watch knows which games to try again. A problem is
announced once, when it starts or changes (``AnnouncementBlocked``: the notifications module DMs the host and
the managers), not at every refused retry; ``AnnouncementUnblocked`` follows when a post or edit goes through.

What the bot lacks is read from its gateway cache right after Discord refused. A refusal the cache cannot
explain (it shows nothing missing: the permissions changed meanwhile, or the cache lags) is recorded as an
empty list when it is the first, and asks for every permission an announcement needs; it never replaces a
problem already recorded, and a later explanation refines the record without a second word.
"""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy import select

from gamesched.core.db import Database
from gamesched.games.announcement import LIVE_STATUSES
from gamesched.games.events import AnnouncementBlocked, AnnouncementUnblocked
from gamesched.games.models import Game
from gamesched.guilds import ANNOUNCEMENT_PERMISSIONS, GuildService

log = structlog.get_logger(__name__)


class AnnouncementProblems:
    def __init__(self, *, db: Database, guilds: GuildService) -> None:
        self.db = db
        self.guilds = guilds

    async def blocked(self, game_id: str, guild_id: int, *, missing: list[str] | None = None) -> None:
        """Discord refused the announcement. ``missing``: what is known to be lacking (embeds dropped: embed
        links); by default, what the bot's cache says it lacks in the game's channel."""
        async with self.db.uow(guild_id=guild_id) as uow:
            game = await uow.session.get(Game, uuid.UUID(str(game_id)), with_for_update=True)
            if game is None or game.status not in LIVE_STATUSES:
                return
            if missing is None:
                missing = self.guilds.bot_missing(guild_id, game.channel_id) or []
            ordered = [key for key in ANNOUNCEMENT_PERMISSIONS if key in missing]
            previous = None if game.announcement_problem is None else list(game.announcement_problem)
            if previous is not None and (not ordered or ordered == previous):
                # The same problem; or one the cache cannot explain, e.g. because the permissions changed
                # between Discord's answer and now (the change brings a retry of its own).
                return
            game.announcement_problem = ordered
            if previous == []:
                return  # now explained: the first word already asked for every permission an announcement needs
            uow.publish(
                AnnouncementBlocked(
                    game_id=str(game.id),
                    guild_id=guild_id,
                    channel_id=game.channel_id,
                    host_id=game.host_id,
                    missing=tuple(ordered),
                    message_id=game.message_id,
                )
            )
        log.warning("announcement_blocked", game_id=game_id, channel_id=game.channel_id, missing=ordered)

    async def resolved(self, game_id: str, guild_id: int) -> None:
        """The announcement went through: forget the problem (and tell open pages)."""
        async with self.db.uow(guild_id=guild_id) as uow:
            game = await uow.session.get(Game, uuid.UUID(str(game_id)), with_for_update=True)
            if game is None or game.announcement_problem is None:
                return
            game.announcement_problem = None
            if game.message_id is not None:
                uow.publish(
                    AnnouncementUnblocked(
                        game_id=str(game.id),
                        guild_id=guild_id,
                        channel_id=game.channel_id,
                        message_id=game.message_id,
                    )
                )
        log.info("announcement_unblocked", game_id=game_id)

    async def to_retry(self, guild_id: int, *, channel_id: int | None = None) -> list[str]:
        """Upcoming games of a guild (or one channel) whose announcement is missing or was refused."""
        query = select(Game.id).where(
            Game.guild_id == guild_id,
            Game.status.in_(sorted(LIVE_STATUSES)),
            Game.message_id.is_(None) | Game.announcement_problem.is_not(None),
        )
        if channel_id is not None:
            query = query.where(Game.channel_id == channel_id)
        async with self.db.uow(guild_id=guild_id) as uow:
            return [str(game_id) for game_id in await uow.session.scalars(query)]
