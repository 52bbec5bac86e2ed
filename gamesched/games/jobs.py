"""Timed work of a game, run by the dispatcher: a deferred game is announced, reminders come due, the game
starts, the game ends, the finished game is archived.

Who hears about a reminder, and in what words, is the notifications module's business: this module only
says that a reminder came due (``ReminderDue``); the notifications module checks the game is still ahead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from gamesched.core.clock import Clock
from gamesched.core.modules import JobSpec
from gamesched.core.queue import Job
from gamesched.games.events import ReminderDue
from gamesched.games.schedule import ARCHIVE, COMPLETE, POST, REMINDER, SERIES_NEXT, START

if TYPE_CHECKING:
    from gamesched.games.service import GameService

log = structlog.get_logger(__name__)


class GameTimers:
    def __init__(self, *, games: GameService, clock: Clock) -> None:
        self.games = games
        self.clock = clock

    def jobs(self) -> list[JobSpec]:
        return [
            JobSpec(REMINDER, self.reminder_due),
            JobSpec(START, self.start_game),
            JobSpec(COMPLETE, self.complete_game),
            JobSpec(POST, self.post_game),
            JobSpec(ARCHIVE, self.archive_game),
            JobSpec(SERIES_NEXT, self.make_series_games),
        ]

    async def make_series_games(self, job: Job) -> None:
        """A series' next look: make the games due (at their lead time, or after the previous one)."""
        await self.games.series.advance(job.payload["series_id"], guild_id=int(job.payload["guild_id"]))

    async def post_game(self, job: Job) -> None:
        """A deferred game's post_at: announce it (the announcer posts on the event this publishes)."""
        await self.games.lifecycle.post(job.payload["game_id"], guild_id=int(job.payload["guild_id"]))

    async def archive_game(self, job: Job) -> None:
        await self.games.lifecycle.archive(job.payload["game_id"], guild_id=int(job.payload["guild_id"]))

    async def start_game(self, job: Job) -> None:
        await self.games.lifecycle.transition(
            job.payload["game_id"], guild_id=int(job.payload["guild_id"]), to="in_progress"
        )

    async def complete_game(self, job: Job) -> None:
        await self.games.lifecycle.transition(
            job.payload["game_id"], guild_id=int(job.payload["guild_id"]), to="completed"
        )

    async def reminder_due(self, job: Job) -> None:
        """Say that the reminder came due. Whoever sends it checks the game then (a reminder that comes due
        late, because the process was down, still counts unless the game has begun), so this reads nothing:
        a wave of reminders due at the same second costs one small insert each here."""
        guild_id, minutes = int(job.payload["guild_id"]), int(job.payload["minutes"])
        channel_id = job.payload.get("channel_id")
        if channel_id is None:  # queued before the payload carried the channel
            channel_id = (
                await self.games.queries.snapshot(job.payload["game_id"], guild_id=guild_id)
            ).channel_id
        async with self.games.db.uow(guild_id=guild_id) as uow:
            uow.publish(
                ReminderDue(
                    game_id=job.payload["game_id"],
                    guild_id=guild_id,
                    channel_id=int(channel_id),
                    minutes=minutes,
                )
            )
