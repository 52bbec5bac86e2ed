"""Timed work of a game, run by the dispatcher: a deferred game is announced, reminders come due, the game
starts, the game ends, the finished game is archived, the places a clone carried over and nobody confirmed
are given up.

Who hears about a reminder, and in what words, is the notifications module's business: this module only
says that a reminder came due (``ReminderDue``); the notifications module checks the game is still ahead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import structlog

from gamesched.core.clock import Clock
from gamesched.core.modules import BatchJobSpec, JobSpec
from gamesched.core.queue import Job
from gamesched.games.carry import CONFIRM_DEADLINE
from gamesched.games.events import ReminderDue
from gamesched.games.schedule import ARCHIVE, COMPLETE, POST, REMINDER, SERIES_NEXT, START, reminder_moment

if TYPE_CHECKING:
    from gamesched.games.service import GameService

log = structlog.get_logger(__name__)

#: Reminders due together (a wave at the top of the hour) claimed at once: one insert per guild for all
#: of them, so the notifications module gets the wave in one batch instead of one reminder at a time.
REMINDER_BATCH = 200


class GameTimers:
    def __init__(self, *, games: GameService, clock: Clock) -> None:
        self.games = games
        self.clock = clock

    def jobs(self) -> list[JobSpec | BatchJobSpec]:
        return [
            BatchJobSpec(REMINDER, self.reminders_due, batch_size=REMINDER_BATCH, max_concurrency=2),
            JobSpec(START, self.start_game),
            JobSpec(COMPLETE, self.complete_game),
            JobSpec(POST, self.post_game),
            JobSpec(ARCHIVE, self.archive_game),
            JobSpec(CONFIRM_DEADLINE, self.drop_unconfirmed),
            JobSpec(SERIES_NEXT, self.make_series_games),
        ]

    async def drop_unconfirmed(self, job: Job) -> None:
        """A clone's confirmation deadline: the carried places nobody confirmed are given up."""
        await self.games.confirmations.drop_unconfirmed(
            job.payload["game_id"], guild_id=int(job.payload["guild_id"])
        )

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

    async def reminders_due(self, jobs: list[Job]) -> Mapping[int, Exception]:
        """Say that reminders come due, and when (their jobs run ``REMINDER_LEAD`` ahead of the moment).
        Whoever sends them checks each game then (a reminder that comes due late, because the process was
        down, still counts unless the game has begun), so this reads nothing but the channel of reminders
        queued before their payload carried it: a wave of reminders due at the same second costs one
        transaction per guild here."""
        failures: dict[int, Exception] = {}
        by_guild: dict[int, dict[int, ReminderDue]] = {}
        for job in jobs:
            guild_id = int(job.payload["guild_id"])
            try:
                channel_id = job.payload.get("channel_id")
                if channel_id is None:  # queued before the payload carried the channel
                    channel_id = (
                        await self.games.queries.snapshot(job.payload["game_id"], guild_id=guild_id)
                    ).channel_id
            except Exception as exc:  # this one is tried again (or ends dead); the others go on
                failures[job.id] = exc
                continue
            by_guild.setdefault(guild_id, {})[job.id] = ReminderDue(
                game_id=job.payload["game_id"],
                guild_id=guild_id,
                channel_id=int(channel_id),
                minutes=int(job.payload["minutes"]),
                at=reminder_moment(job.payload, job.due_at),
            )
        for guild_id, events in by_guild.items():
            try:
                async with self.games.db.uow(guild_id=guild_id) as uow:
                    for event in events.values():
                        uow.publish(event)
            except Exception as exc:  # this guild's reminders are tried again; the other guilds' went out
                failures.update(dict.fromkeys(events, exc))
        return failures
