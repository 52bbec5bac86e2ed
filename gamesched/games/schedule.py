"""A game's timed work — reminders and status transitions — as queue rows written with the game itself.

Every row's dedupe key starts with ``game:{id}:``, so re-planning (time, duration or reminders edited)
replaces the pending rows and cancelling removes them, all in the transaction that changes the game.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func
from sqlalchemy.ext.asyncio import AsyncSession

from gamesched.core.clock import Clock
from gamesched.core.queue import JobQueue, NewJob, decode_pending, pending_under
from gamesched.games.models import Game
from gamesched.games.schemas import ScheduledItem, ScheduledKind

REMINDER = "games.send_reminders"
START = "games.start"
COMPLETE = "games.complete"
#: Announce a deferred game (its ``post_at``).
POST = "games.post"
#: Archive a completed game (its archive delay after completion).
ARCHIVE = "games.archive"
#: Make a series' next game (games/series.py): at its lead time, or when the previous one is over.
SERIES_NEXT = "games.series_next"
#: How long a game without a duration is taken to last: its end, its calendar entry, the form's hint.
DEFAULT_DURATION_MINUTES = 60
#: A reminder's job runs this long before the reminder's moment (the payload's ``at``): its DMs are worded
#: and queued then, due at the moment, so at the moment only the sending is left. A wave of a thousand
#: reminders takes a few hundred milliseconds to word and queue on a small machine; done at the moment, that
#: was lateness every DM of the wave paid.
REMINDER_LEAD = timedelta(seconds=10)
#: Edits to these fields move the game's pending reminders and transitions.
SCHEDULE_FIELDS = frozenset({"scheduled_at", "duration_minutes", "reminder_minutes", "post_at"})
_KINDS: dict[str, ScheduledKind] = {
    REMINDER: "reminder",
    START: "start",
    COMPLETE: "complete",
    POST: "post",
    ARCHIVE: "archive",
}


def ends_at(game: Game) -> datetime:
    return game.scheduled_at + timedelta(minutes=game.duration_minutes or DEFAULT_DURATION_MINUTES)


#: The start of every dedupe key of a game's jobs: ``game:<id>:`` (``prefix``).
_GAME_KEYS = "game:"


def prefix(game_id: uuid.UUID | str) -> str:
    return f"{_GAME_KEYS}{game_id}:"


def series_prefix(series_id: uuid.UUID | str) -> str:
    return f"series:{series_id}:"


class GameSchedule:
    def __init__(self, *, queue: JobQueue, clock: Clock) -> None:
        self.queue = queue
        self.clock = clock

    async def plan(self, session: AsyncSession, game: Game) -> None:
        """Replace the game's pending timed work with what its current fields call for."""
        await self.clear(session, game.id)
        if game.status not in ("scheduled", "in_progress"):
            return
        now = self.clock.now()
        payload = {"game_id": str(game.id), "guild_id": game.guild_id, "channel_id": game.channel_id}
        jobs: list[NewJob] = []
        if game.status == "scheduled":
            # A game not announced yet is announced at post_at; reminders due before then are not sent
            # (nobody was told of the game yet).
            announced = max(now, game.post_at) if game.post_at is not None else now
            if game.post_at is not None:
                jobs.append(NewJob(POST, payload, game.post_at, f"{prefix(game.id)}post"))
            for minutes in sorted(set(game.reminder_minutes), reverse=True):
                moment = game.scheduled_at - timedelta(minutes=minutes)
                if moment > announced:  # a reminder whose moment has passed is skipped, never sent late
                    jobs.append(
                        NewJob(
                            REMINDER,
                            {**payload, "minutes": minutes, "at": moment.isoformat()},
                            _wording_time(moment, now, game.post_at),
                            f"{prefix(game.id)}reminder:{minutes}",
                        )
                    )
            jobs.append(NewJob(START, payload, game.scheduled_at, f"{prefix(game.id)}start"))
        jobs.append(NewJob(COMPLETE, payload, ends_at(game), f"{prefix(game.id)}complete"))
        await self.queue.enqueue_many(session, jobs)

    async def plan_archive(self, session: AsyncSession, game: Game) -> None:
        """A completed game with an archive delay: archive it that long after it completed (replaced when the
        delay changes)."""
        if game.status != "completed" or game.archive_delay_minutes is None:
            await self.queue.cancel(session, dedupe_prefix=f"{prefix(game.id)}archive")
            return
        completed = game.completed_at or self.clock.now()
        due = completed + timedelta(minutes=game.archive_delay_minutes)
        payload = {"game_id": str(game.id), "guild_id": game.guild_id, "channel_id": game.channel_id}
        await self.queue.enqueue_many(session, [NewJob(ARCHIVE, payload, due, f"{prefix(game.id)}archive")])

    async def series_next(
        self, session: AsyncSession, series_id: uuid.UUID | str, guild_id: int, due: datetime | None = None
    ) -> None:
        """The series looks for its next game to make at ``due`` (now by default): one pending row per series,
        moved by each call, so a burst of wake-ups is one run."""
        await self.queue.enqueue(
            session,
            SERIES_NEXT,
            {"series_id": str(series_id), "guild_id": guild_id},
            due_at=due or self.clock.now(),
            dedupe_key=series_prefix(series_id) + "next",
        )

    async def clear(self, session: AsyncSession, game_id: uuid.UUID | str) -> None:
        await self.queue.cancel(session, dedupe_prefix=prefix(game_id))


def scheduled_column(game_id: ColumnElement[uuid.UUID]) -> ScalarSelect[str]:
    """What is still to happen for the game whose id is ``game_id`` (a column of the outer statement), as a
    column of that statement (``scheduled_items`` reads it)."""
    # The keys under prefix(game_id): from "game:<id>:" up to "game:<id>;", ";" being the character after ":".
    return pending_under(func.concat(_GAME_KEYS, game_id, ":"), func.concat(_GAME_KEYS, game_id, ";"))


def scheduled_items(listed: str) -> list[ScheduledItem]:
    """What is still to happen for a game, soonest first (shown in the game's JSON), from its
    ``scheduled_column``."""
    return [
        ScheduledItem(
            kind=_KINDS[job.kind],
            due_at=reminder_moment(job.payload, job.due_at) if job.kind == REMINDER else job.due_at,
            reminder_minutes=job.payload.get("minutes"),
        )
        for job in decode_pending(listed)
        if job.kind in _KINDS  # only the kinds the schema names; no other job uses a game's prefix
    ]


def _wording_time(moment: datetime, now: datetime, post_at: datetime | None) -> datetime:
    """When a reminder's job runs: ``REMINDER_LEAD`` before its moment, or now when that is past. A game to
    be announced within that lead is worded at the moment itself, after its announcement, whose link the
    reminder carries."""
    ahead = moment - REMINDER_LEAD
    if post_at is not None and ahead < post_at:
        return moment
    return max(ahead, now)


def reminder_moment(payload: Mapping[str, Any], due_at: datetime) -> datetime:
    """When a reminder job's DMs go out: the payload's ``at``; a job without one (queued before reminders
    were worded ahead) goes out when it runs."""
    at = payload.get("at")
    return due_at if at is None else datetime.fromisoformat(at)
