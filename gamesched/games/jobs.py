"""Timed work of a game, run by the dispatcher: reminders come due, the game starts, the game ends.

Who hears about a reminder, and in what words, is the notifications module's business: this module only
says that a reminder came due (``ReminderDue``) while the game is still ahead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from gamesched.core.clock import Clock
from gamesched.core.modules import JobSpec
from gamesched.core.queue import Job
from gamesched.games.events import ReminderDue
from gamesched.games.schedule import COMPLETE, REMINDER, START

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
        ]

    async def start_game(self, job: Job) -> None:
        await self.games.lifecycle.transition(
            job.payload["game_id"], guild_id=int(job.payload["guild_id"]), to="in_progress"
        )

    async def complete_game(self, job: Job) -> None:
        await self.games.lifecycle.transition(
            job.payload["game_id"], guild_id=int(job.payload["guild_id"]), to="completed"
        )

    async def reminder_due(self, job: Job) -> None:
        """A late reminder (process was down) still counts unless the game has begun."""
        guild_id, minutes = int(job.payload["guild_id"]), int(job.payload["minutes"])
        game = await self.games.queries.snapshot(job.payload["game_id"], guild_id=guild_id)
        if game.status != "scheduled" or self.clock.now() >= game.scheduled_at:
            log.info("reminder_skipped", game_id=game.id, status=game.status, minutes=minutes)
            return
        async with self.games.db.uow(guild_id=guild_id) as uow:
            uow.publish(
                ReminderDue(
                    game_id=game.id, guild_id=guild_id, channel_id=int(game.channel_id), minutes=minutes
                )
            )
