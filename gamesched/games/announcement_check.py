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
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
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


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    checked: int = 0
    posted: int = 0
    reposted: int = 0


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
        client = self.announcer.client_ready()
        if client.get_guild(guild_id) is None:
            return
        games = await self._next_games(guild_id, after)
        outcome = CheckOutcome()
        for game_id, message_id in games:
            outcome = await self._check_one(client, guild_id, game_id, message_id, outcome)
        log.info(
            "announcements_checked",
            guild_id=guild_id,
            checked=outcome.checked,
            posted=outcome.posted,
            reposted=outcome.reposted,
        )
        if len(games) == self.batch:
            last = games[-1][0]
            async with self.announcer.db.uow(guild_id=guild_id) as uow:
                scheduled_at = await uow.session.scalar(select(Game.scheduled_at).where(Game.id == last))
                cursor = [scheduled_at.isoformat() if scheduled_at else None, str(last)]
                await self.announcer.queue.enqueue(
                    uow.session,
                    CHECK,
                    {"guild_id": guild_id, "after": cursor},
                    dedupe_key=f"check-announcements:{guild_id}:{last}",
                )

    async def _next_games(self, guild_id: int, after: list[Any] | None) -> list[tuple[uuid.UUID, int | None]]:
        # A game whose announcement Discord refused counts as one without a post: it gets a refresh.
        refused = Game.announcement_problem.is_not(None)
        query = (
            select(Game.id, case((refused, None), else_=Game.message_id).label("message_id"))
            .where(Game.guild_id == guild_id, Game.status.in_(sorted(LIVE_STATUSES)))
            .order_by(Game.scheduled_at, Game.id)
            .limit(self.batch)
        )
        if after is not None:
            at, game_id = datetime.fromisoformat(after[0]), uuid.UUID(after[1])
            query = query.where(tuple_(Game.scheduled_at, Game.id) > tuple_(at, game_id))
        async with self.announcer.db.uow(guild_id=guild_id) as uow:
            return [(row.id, row.message_id) for row in await uow.session.execute(query)]

    async def _check_one(
        self,
        client: discord.Client,
        guild_id: int,
        game_id: uuid.UUID,
        message_id: int | None,
        outcome: CheckOutcome,
    ) -> CheckOutcome:
        checked = outcome.checked + 1
        if message_id is None:
            await self.announcer.schedule_refresh(str(game_id), guild_id)
            return CheckOutcome(checked, outcome.posted + 1, outcome.reposted)
        reposted = await self.announcer.repost_if_missing(str(game_id), guild_id, message_id)
        return CheckOutcome(checked, outcome.posted, outcome.reposted + int(reposted))
