"""Making a series' games: the ``games.series_next`` job's work, and what the series' use cases share.

Each occurrence becomes a game through the one create use case when it is due: ``lead_minutes`` before it
starts, or — with no lead — once no game of the series is scheduled or running (the previous one's end or
cancel queues the job in its transaction). One pending job row per series (``series:{id}:next``), and the
unique index on (series_id, recurrence_id) makes each occurrence once across processes.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gamesched.core.errors import DomainError, Invalid, NotFound
from gamesched.core.inputs import convert
from gamesched.core.time_zones import zone_named
from gamesched.games.carry import CarriedSeat
from gamesched.games.models import Game, GameSeries, Participant
from gamesched.games.recurrence import expand
from gamesched.games.roster import partition_roster
from gamesched.games.schemas import GameCreate
from gamesched.games.use_case import GameUseCase

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from gamesched.games.lifecycle import GameLifecycle

log = structlog.get_logger(__name__)

SERIES_NOT_FOUND = "This series does not exist."
#: At most this many games are made in one run (a long lead on a daily series catches up over runs).
MAKE_PER_RUN = 10
ACTIVE = ("scheduled", "in_progress")


class SeriesRuns(GameUseCase):
    """The making of a series' games; ``GameSeriesService`` (series.py) adds the host's use cases."""

    lifecycle: GameLifecycle

    # -- making games (the games.series_next job) --------------------------------------------------

    async def advance(self, series_id: str, *, guild_id: int) -> int:
        """Make the games that are due; queue the next look at the next one's lead time. Returns how many
        were made. Idempotent: an occurrence made already (here or in another process) is passed over."""
        sid = uuid.UUID(str(series_id))
        made = 0
        for _ in range(MAKE_PER_RUN):
            async with self.db.uow(guild_id=guild_id) as uow:
                series = await uow.session.scalar(select(GameSeries).where(GameSeries.id == sid))
                if series is None or series.status != "active":
                    return made
                games = (await self._made(uow.session, [sid])).get(sid, {})
                now = self.clock.now()
                zone = zone_or_invalid(series.time_zone)
                moments = expand(series.rrule, series.dtstart_local, zone, after=now, skip=series.skipped)
                following = next((m for m in moments if m not in games), None)
                if following is None:
                    return made  # the rule has ended
                if series.lead_minutes is None:
                    if any(g.status in ACTIVE for g in games.values()):
                        return made  # the previous game's end (or cancel) wakes the series
                else:
                    due = following - timedelta(minutes=series.lead_minutes)
                    if due > now:
                        await self.schedule.series_next(uow.session, sid, guild_id, due)
                        return made
            if await self._make(series, following):
                made += 1
        return made

    async def _make(
        self, series: GameSeries, rid: datetime, *, at: datetime | None = None, strict: bool = False
    ) -> bool:
        """The game of one occurrence, made by the create use case as the series' host. ``strict`` (a host's
        move): a refusal is the host's to hear, not an occurrence to skip."""
        carried = await self._carried(series, rid) if series.carry_roster else []
        body = {
            **series.game,
            "guild_id": str(series.guild_id),
            "scheduled_at": (at or rid).isoformat(),
            "time_zone": series.time_zone,
        }
        try:
            data = convert(body, GameCreate)
            await self.lifecycle.create(
                series.host_id, data, series_id=series.id, recurrence_id=rid, carried=carried
            )
        except IntegrityError:
            return False  # made already, by another run
        except DomainError as error:
            if strict:
                raise
            # The host may no longer host there, a role went away…: this one is skipped, the series goes on.
            log.warning(
                "series_occurrence_refused",
                series_id=str(series.id),
                occurrence=rid.isoformat(),
                reason=str(error),
            )
            async with self.db.uow(guild_id=series.guild_id) as uow:
                row = await self._load_series(uow.session, series.id, lock=True)
                row.skipped = [*row.skipped, rid]
            return False
        log.info(
            "series_occurrence_made",
            series_id=str(series.id),
            occurrence=rid.isoformat(),
            carried=len(carried),
        )
        return True

    async def _carried(self, series: GameSeries, rid: datetime) -> list[CarriedSeat]:
        """The confirmed players of the series' previous game (not cancelled) who are still members, as
        they joined it (in the same order)."""
        async with self.db.uow(guild_id=series.guild_id) as uow:
            previous = await uow.session.scalar(
                select(Game)
                .where(Game.series_id == series.id, Game.recurrence_id < rid, Game.status != "cancelled")
                .order_by(Game.recurrence_id.desc())
                .limit(1)
            )
            if previous is None:
                return []
            rows = list(
                await uow.session.scalars(select(Participant).where(Participant.game_id == previous.id))
            )
        confirmed = partition_roster(rows, previous.max_players, previous.signup_method).confirmed
        players = []
        for p in confirmed:
            if p.user_id is None or p.user_id == series.host_id:
                continue
            try:
                await self.guilds.access(series.guild_id, p.user_id)
            except NotFound:
                continue  # left the server
            players.append(
                CarriedSeat(
                    user_id=p.user_id,
                    placeholder=None,
                    position_type=int(p.position_type),
                    position=p.position,
                    joined_at=p.joined_at,
                )
            )
        return players

    @staticmethod
    async def _load_series(session: Any, sid: uuid.UUID, *, lock: bool = False) -> GameSeries:
        query = select(GameSeries).where(GameSeries.id == sid).execution_options(populate_existing=True)
        series = await session.scalar(query.with_for_update() if lock else query)
        if series is None:
            raise NotFound(SERIES_NOT_FOUND)
        return series

    @staticmethod
    async def _made(session: Any, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[datetime, Game]]:
        """The games made for these series, by series and occurrence."""
        made: dict[uuid.UUID, dict[datetime, Game]] = {}
        if ids:
            for game in await session.scalars(select(Game).where(Game.series_id.in_(ids))):
                made.setdefault(game.series_id, {})[game.recurrence_id] = game
        return made

    async def _made_one(self, guild_id: int, sid: uuid.UUID, rid: datetime) -> Game | None:
        async with self.db.uow(guild_id=guild_id) as uow:
            return await uow.session.scalar(
                select(Game).where(Game.series_id == sid, Game.recurrence_id == rid)
            )


def zone_or_invalid(name: str) -> ZoneInfo:
    zone = zone_named(name)
    if zone is None:
        raise Invalid(
            f"I don't know the time zone {name!r}: use an IANA name such as Europe/Berlin.", field="time_zone"
        )
    return zone
