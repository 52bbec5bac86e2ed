"""Checking a guild's announcements when the bot (re)connects or rejoins it.

While the app is down nobody sees an announcement deleted by hand, so whenever the bot becomes ready (also
after a re-identify) and when it joins a guild, each guild gets a ``games.check_announcements`` job. It walks
the guild's upcoming games a batch at a time, oldest first: a game that should have a post but has none gets
one, and so does one whose announcement Discord refused for want of permissions; a post that is gone is
posted again and the host is told. The next batch is a job of its own, so a large guild never holds a
dispatcher slot for long and a restart resumes where the walk was.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import case, select, tuple_

from gamesched.core.queue import Job
from gamesched.games.announcement import LIVE_STATUSES
from gamesched.games.models import Game

if TYPE_CHECKING:
    from gamesched.games.announcer import Announcer

log = structlog.get_logger(__name__)

CHECK = "games.check_announcements"
#: Games looked at per job: a GET per game, well inside Discord's 50 requests a second.
BATCH = 20


class AnnouncementCheck:
    def __init__(self, announcer: Announcer, *, batch: int | None = None) -> None:
        self.announcer = announcer
        self.batch = batch or BATCH

    async def schedule(self, guild_id: int) -> None:
        """Check this guild's announcements soon (one pending walk per guild)."""
        async with self.announcer.db.uow(guild_id=guild_id) as uow:
            await self.announcer.queue.enqueue(
                uow.session, CHECK, {"guild_id": guild_id}, dedupe_key=f"check-announcements:{guild_id}"
            )

    async def check_batch(self, job: Job) -> None:
        guild_id = int(job.payload["guild_id"])
        after = job.payload.get("after")
        if self.announcer.client_ready().get_guild(guild_id) is None:
            return
        games = await self._next_games(guild_id, after)
        posted = reposted = 0
        for game_id, message_id, _ in games:
            if message_id is None:
                await self.announcer.schedule_refresh(str(game_id), guild_id)
                posted += 1
            elif await self.announcer.repost_if_missing(str(game_id), guild_id, message_id):
                reposted += 1
        log.info(
            "announcements_checked", guild_id=guild_id, checked=len(games), posted=posted, reposted=reposted
        )
        if len(games) == self.batch:
            last_id, _, last_at = games[-1]
            async with self.announcer.db.uow(guild_id=guild_id) as uow:
                await self.announcer.queue.enqueue(
                    uow.session,
                    CHECK,
                    {"guild_id": guild_id, "after": [last_at.isoformat(), str(last_id)]},
                    dedupe_key=f"check-announcements:{guild_id}:{last_id}",
                )

    async def _next_games(
        self, guild_id: int, after: list[Any] | None
    ) -> list[tuple[uuid.UUID, int | None, datetime]]:
        """The next page of upcoming games: (id, message id to check, start), in start order."""
        # A game whose announcement Discord refused counts as one without a post: it gets a refresh.
        refused = Game.announcement_problem.is_not(None)
        query = (
            select(
                Game.id, case((refused, None), else_=Game.message_id).label("message_id"), Game.scheduled_at
            )
            .where(Game.guild_id == guild_id, Game.status.in_(sorted(LIVE_STATUSES)))
            .order_by(Game.scheduled_at, Game.id)
            .limit(self.batch)
        )
        if after is not None:
            at, game_id = datetime.fromisoformat(after[0]), uuid.UUID(after[1])
            query = query.where(tuple_(Game.scheduled_at, Game.id) > tuple_(at, game_id))
        async with self.announcer.db.uow(guild_id=guild_id) as uow:
            rows = await uow.session.execute(query)
            return [(row.id, row.message_id, row.scheduled_at) for row in rows]
