"""Recurring games, the host's use cases: create, read, skip one, move one, edit the whole series, end, delete.

A series stores an RFC 5545 rule expanded on local times in its zone (``recurrence.py``) and the fields its
games are made with; each occurrence becomes a normal game (``series_id``, ``recurrence_id``: its start by
the rule) when it is due (``series_runs.py``).

Editing the series changes the games not made yet, and those made and still ahead that were not moved on
their own (a moved game keeps its time and fields): they take the new fields and the new time of day on
their date, and one whose date the new rule no longer has is cancelled.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any

import msgspec
import structlog
from msgspec import UNSET
from sqlalchemy import delete, select

from gamesched.core.errors import Conflict, Forbidden, Invalid, NotFound
from gamesched.core.inputs import convert
from gamesched.games.models import Game, GameSeries
from gamesched.games.recurrence import check_rule, describe, expand, naive_local, to_utc
from gamesched.games.schedule import series_prefix
from gamesched.games.schemas import GameCreate, GameUpdate
from gamesched.games.series_runs import SERIES_NOT_FOUND, SeriesRuns, zone_or_invalid
from gamesched.games.series_schemas import (
    OccurrenceMove,
    OccurrencePick,
    OccurrenceView,
    SeriesCreate,
    SeriesList,
    SeriesOccurrence,
    SeriesPreview,
    SeriesPreviewView,
    SeriesSummary,
    SeriesUpdate,
    SeriesView,
)

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from gamesched.guilds import GuildAccess

log = structlog.get_logger(__name__)

#: A server's list shows at most this many series.
LIST_LIMIT = 100
#: How many coming occurrences a series shows.
UPCOMING = 5
#: Fields of the series' games an edit of the series may change (``GameUpdate`` names).
GAME_FIELDS = (
    "title",
    "description",
    "duration_minutes",
    "max_players",
    "reminder_minutes",
    "signup_instructions",
    "location",
    "signup_method",
    "player_role_ids",
    "priority_role_ids",
    "notify_role_ids",
    "channel_id",
)
#: What the series keeps of a create body: everything but the time and the per-game announcement.
NOT_KEPT = ("scheduled_at", "post_at", "rrule", "lead_minutes", "carry_roster", "host_id", "time_zone")
#: A series' own fields (the rest of its create body is the game's).
SERIES_ONLY = ("rrule", "lead_minutes", "carry_roster")


class GameSeriesService(SeriesRuns):
    """Reached as ``GameService.series``."""

    # -- creating and reading ----------------------------------------------------------------------

    async def create(self, user_id: int, data: SeriesCreate) -> SeriesView:
        """A series from a game's fields and a rule; the games due now are made at once."""
        zone = await self._zone(user_id, data.time_zone)
        rule = check_rule(data.rrule, start=data.scheduled_at, zone=zone)
        sent = msgspec.to_builtins(data)
        game = convert(
            {k: v for k, v in sent.items() if k not in SERIES_ONLY} | {"time_zone": zone.key}, GameCreate
        )
        await self.lifecycle.check_create(user_id, game)
        if data.host_id is not None and int(data.host_id) != user_id:
            # A manager's series for someone else: its games are made as that host, so they must be able to.
            await self.lifecycle.check_create(int(data.host_id), msgspec.structs.replace(game, host_id=None))
        guild_id = int(data.guild_id)
        access = await self.guilds.access(guild_id, user_id, channel_id=int(data.channel_id))
        host_id = user_id if data.host_id is None else int(data.host_id)
        now = self.clock.now()
        series = GameSeries(
            id=uuid.uuid4(),
            guild_id=guild_id,
            channel_id=int(data.channel_id),
            host_id=host_id,
            title=data.title.strip(),
            rrule=rule,
            dtstart_local=naive_local(data.scheduled_at, zone),
            time_zone=zone.key,
            lead_minutes=data.lead_minutes,
            carry_roster=data.carry_roster,
            skipped=[],
            game={k: v for k, v in sent.items() if k not in NOT_KEPT},
            status="active",
            version=1,
            created_at=now,
            updated_at=now,
        )
        async with self.db.uow(guild_id=guild_id) as uow:
            uow.session.add(series)
            await uow.session.flush()
            # In the same transaction: a crash before the first run below still makes the games.
            await self.schedule.series_next(uow.session, series.id, guild_id)
        log.info("series_created", series_id=str(series.id), guild_id=guild_id, rule=rule)
        await self.advance(str(series.id), guild_id=guild_id)
        return await self._view(series.id, access)

    async def get(self, series_id: str, user_id: int) -> SeriesView:
        sid, access = await self._enter_series(series_id, user_id)
        return await self._view(sid, access)

    async def of_guild(self, user_id: int, guild_id: int) -> SeriesList:
        """The server's active series, newest first (members only)."""
        await self.guilds.access(guild_id, user_id)
        async with self.db.uow(guild_id=guild_id) as uow:
            rows = list(
                await uow.session.scalars(
                    select(GameSeries)
                    .where(GameSeries.guild_id == guild_id, GameSeries.status == "active")
                    .order_by(GameSeries.created_at.desc())
                    .limit(LIST_LIMIT)
                )
            )
        now = self.clock.now()
        items = []
        for series in rows:
            zone = zone_or_invalid(series.time_zone)
            moments = expand(series.rrule, series.dtstart_local, zone, after=now, skip=series.skipped)
            items.append(
                SeriesSummary(
                    id=str(series.id),
                    title=series.title,
                    summary=describe(series.rrule, series.dtstart_local),
                    time_zone=series.time_zone,
                    channel_id=str(series.channel_id),
                    host_id=str(series.host_id),
                    next_at=next(moments, None),
                )
            )
        return SeriesList(items=items)

    def preview(self, data: SeriesPreview) -> SeriesPreviewView:
        """What a rule gives from a start, without saving anything (the forms' preview)."""
        zone = zone_or_invalid(data.time_zone)
        rule = check_rule(data.rrule, start=data.scheduled_at, zone=zone)
        start = naive_local(data.scheduled_at, zone)
        after = max(self.clock.now(), data.scheduled_at - timedelta(seconds=1))
        return SeriesPreviewView(
            summary=describe(rule, start),
            occurrences=list(islice(expand(rule, start, zone, after=after), UPCOMING)),
        )

    async def upcoming_for_host(self, user_id: int, start: datetime, end: datetime) -> list[SeriesOccurrence]:
        """The occurrences of the active series ``user_id`` hosts, in every server, starting in [start, end):
        those made already (with their game) and those still to be made. For the personal calendar feed."""
        async with self.db.uow(bypass_rls=True) as uow:  # the host's own series, across their servers
            rows = list(
                await uow.session.scalars(
                    select(GameSeries).where(GameSeries.host_id == user_id, GameSeries.status == "active")
                )
            )
            made = await self._made(uow.session, [s.id for s in rows])
        found: list[SeriesOccurrence] = []
        for series in rows:
            games = made.get(series.id, {})
            zone = zone_or_invalid(series.time_zone)
            moments = expand(series.rrule, series.dtstart_local, zone, after=start - timedelta(seconds=1))
            for rid in moments:
                if rid >= end:
                    break
                if rid in series.skipped:
                    continue
                game = games.get(rid)
                if game is not None and game.status == "cancelled":
                    continue
                if game is not None and not start <= game.scheduled_at < end:
                    continue  # moved out of the window
                found.append(
                    SeriesOccurrence(
                        series_id=str(series.id),
                        guild_id=str(series.guild_id),
                        title=series.title,
                        recurrence_id=rid,
                        scheduled_at=game.scheduled_at if game else rid,
                        duration_minutes=series.game.get("duration_minutes"),
                        game_id=str(game.id) if game else None,
                    )
                )
        return sorted(found, key=lambda o: o.scheduled_at)

    # -- the host's actions ------------------------------------------------------------------------

    async def skip(self, series_id: str, user_id: int, pick: OccurrencePick) -> SeriesView:
        """Skip one occurrence; a game made for it already is cancelled the normal way (players told)."""
        sid, access = await self._enter_series(series_id, user_id)
        series = await self._managed(sid, access, "skip a game of this series")
        rid = await self._occurrence(series, pick.occurrence)
        game = await self._made_one(series.guild_id, sid, rid)
        if game is not None and game.status != "cancelled":
            await self.lifecycle.cancel(
                str(game.id), user_id, pick.reason or "This game of the series is skipped."
            )
        async with self.db.uow(guild_id=series.guild_id) as uow:
            row = await self._load_series(uow.session, sid, lock=True)
            if rid not in row.skipped:
                row.skipped = [*row.skipped, rid]
                self._bump(row)
            await self.schedule.series_next(uow.session, sid, row.guild_id)
        log.info("series_occurrence_skipped", series_id=str(sid), occurrence=rid.isoformat())
        await self.advance(str(sid), guild_id=series.guild_id)
        return await self._view(sid, access)

    async def move(self, series_id: str, user_id: int, data: OccurrenceMove) -> SeriesView:
        """Move one occurrence to another time; the series is unchanged. Not made yet: it is made now."""
        sid, access = await self._enter_series(series_id, user_id)
        series = await self._managed(sid, access, "move a game of this series")
        rid = await self._occurrence(series, data.occurrence)
        if rid in series.skipped:
            raise Conflict("This game of the series is skipped; it cannot move.")
        game = await self._made_one(series.guild_id, sid, rid)
        if game is None:
            await self._make(series, rid, at=data.scheduled_at.astimezone(UTC), strict=True)
        else:
            await self.lifecycle.edit(str(game.id), user_id, GameUpdate(scheduled_at=data.scheduled_at))
        log.info("series_occurrence_moved", series_id=str(sid), occurrence=rid.isoformat())
        return await self._view(sid, access)

    async def edit(self, series_id: str, user_id: int, data: SeriesUpdate) -> SeriesView:
        """Change the rule, time or fields of the whole series (see the module's note for which games)."""
        sid, access = await self._enter_series(series_id, user_id)
        series = await self._managed(sid, access, "edit this series")
        if data.expected_version is not None and data.expected_version != series.version:
            raise Conflict(
                "This series was changed by someone else; reload it and try again.", code="stale_version"
            )
        zone = zone_or_invalid(series.time_zone if data.time_zone is UNSET else data.time_zone)
        start = to_utc(series.dtstart_local, zone) if data.scheduled_at is UNSET else data.scheduled_at
        rule = check_rule(series.rrule if data.rrule is UNSET else data.rrule, start=start, zone=zone)
        changes = {name: getattr(data, name) for name in GAME_FIELDS if getattr(data, name) is not UNSET}
        fields = {**series.game, **msgspec.to_builtins(changes)}
        local_start = naive_local(start, zone)
        upcoming = next(expand(rule, local_start, zone, after=self.clock.now()), None)
        if upcoming is None:
            raise Invalid("This repeat rule gives no game after now.", field="rrule")
        sample = {**fields, "guild_id": str(series.guild_id), "scheduled_at": upcoming.isoformat()}
        await self.lifecycle.check_create(series.host_id, convert(sample, GameCreate))
        retime = (rule, local_start, zone.key) != (series.rrule, series.dtstart_local, series.time_zone)
        async with self.db.uow(guild_id=series.guild_id) as uow:
            row = await self._load_series(uow.session, sid, lock=True)
            row.rrule, row.dtstart_local, row.time_zone, row.game = rule, local_start, zone.key, fields
            row.title, row.channel_id = fields["title"], int(fields["channel_id"])
            if data.lead_minutes is not UNSET:
                row.lead_minutes = data.lead_minutes
            if data.carry_roster is not UNSET:
                row.carry_roster = data.carry_roster
            self._bump(row)
            plan = await self._retime(uow.session, row, zone, retime=retime)
            await self.schedule.series_next(uow.session, sid, row.guild_id)
        await self._follow(plan, user_id, changes)
        log.info("series_edited", series_id=str(sid), changed=sorted(changes), retimed=retime)
        await self.advance(str(sid), guild_id=series.guild_id)
        return await self._view(sid, access)

    async def end(self, series_id: str, user_id: int) -> SeriesView:
        """Make no more games; the games made already stay."""
        sid, access = await self._enter_series(series_id, user_id)
        await self._managed(sid, access, "end this series")
        async with self.db.uow(guild_id=access.guild_id) as uow:
            row = await self._load_series(uow.session, sid, lock=True)
            if row.status != "ended":
                row.status = "ended"
                self._bump(row)
            await self.schedule.queue.cancel(uow.session, dedupe_prefix=series_prefix(sid))
        log.info("series_ended", series_id=str(sid))
        return await self._view(sid, access)

    async def delete(self, series_id: str, user_id: int) -> None:
        """Delete the series and cancel its games still ahead (games already played stay, on their own)."""
        sid, access = await self._enter_series(series_id, user_id)
        await self._managed(sid, access, "delete this series")
        async with self.db.uow(guild_id=access.guild_id) as uow:
            ahead = list(
                await uow.session.scalars(
                    select(Game.id).where(Game.series_id == sid, Game.status == "scheduled")
                )
            )
        for game_id in ahead:
            await self.lifecycle.cancel(str(game_id), user_id, "The series was deleted.")
        async with self.db.uow(guild_id=access.guild_id) as uow:
            await self.schedule.queue.cancel(uow.session, dedupe_prefix=series_prefix(sid))
            await uow.session.execute(delete(GameSeries).where(GameSeries.id == sid))
        log.info("series_deleted", series_id=str(sid), cancelled=len(ahead))

    async def _retime(
        self, session: Any, series: GameSeries, zone: ZoneInfo, *, retime: bool
    ) -> list[tuple[uuid.UUID, datetime | None]]:
        """The series' games made and still ahead that were not moved on their own, each with its new start
        (None: the new rule has no game that day, so it is cancelled). Their ``recurrence_id`` takes the
        new start here, in the transaction that changes the rule, so a run of the series in between never
        makes a second game for that day."""
        games = list(
            await session.scalars(
                select(Game)
                .where(
                    Game.series_id == series.id,
                    Game.status == "scheduled",
                    Game.scheduled_at > self.clock.now(),
                    Game.scheduled_at == Game.recurrence_id,
                )
                .with_for_update()
            )
        )
        plan: list[tuple[uuid.UUID, datetime | None]] = []
        if retime:  # a skipped day stays skipped at its new time
            now = self.clock.now()
            series.skipped = [
                _same_day(series, zone, rid) or rid if rid > now else rid for rid in series.skipped
            ]
        for game in games:
            assert game.recurrence_id is not None
            if not retime:
                plan.append((game.id, game.recurrence_id))
                continue
            same_day = _same_day(series, zone, game.recurrence_id)
            if same_day is None:
                plan.append((game.id, None))
                continue
            game.recurrence_id = same_day
            plan.append((game.id, same_day))
        return plan

    async def _follow(
        self, plan: list[tuple[uuid.UUID, datetime | None]], user_id: int, changes: dict[str, Any]
    ) -> None:
        """Carry an edit of the series to its games ahead (``_retime``'s plan), through the edit use case."""
        for game_id, start in plan:
            if start is None:
                await self.lifecycle.cancel(
                    str(game_id), user_id, "The series no longer has a game on this day."
                )
                continue
            update: dict[str, Any] = {**changes, "scheduled_at": start}
            await self.lifecycle.edit(str(game_id), user_id, GameUpdate(**update))

    # -- helpers -----------------------------------------------------------------------------------

    async def _zone(self, user_id: int, given: str | None) -> ZoneInfo:
        if given is not None:
            return zone_or_invalid(given)
        chosen = await self.guilds.preferences.time_zone(user_id)
        return chosen or zone_or_invalid("UTC")

    async def _enter_series(self, series_id: str, user_id: int) -> tuple[uuid.UUID, GuildAccess]:
        try:
            sid = uuid.UUID(str(series_id))
        except ValueError:
            raise NotFound(SERIES_NOT_FOUND) from None
        # Trusted lookup across guilds: only the guild id leaves it; membership is checked next.
        async with self.db.uow(bypass_rls=True) as uow:
            guild_id = await uow.session.scalar(select(GameSeries.guild_id).where(GameSeries.id == sid))
        if guild_id is None:
            raise NotFound(SERIES_NOT_FOUND)
        return sid, await self.guilds.access(guild_id, user_id)

    async def _managed(self, sid: uuid.UUID, access: GuildAccess, doing: str) -> GameSeries:
        async with self.db.uow(guild_id=access.guild_id) as uow:
            series = await self._load_series(uow.session, sid)
        if not (access.is_manager or series.host_id == access.user_id):
            raise Forbidden(f"Only the host or a bot manager can {doing}.")
        return series

    async def _occurrence(self, series: GameSeries, moment: datetime) -> datetime:
        """``moment`` as one of the series' occurrences (by the rule, or a game made for it), else NotFound."""
        rid = moment.astimezone(UTC)
        if await self._made_one(series.guild_id, series.id, rid) is not None:
            return rid
        zone = zone_or_invalid(series.time_zone)
        if (
            next(expand(series.rrule, series.dtstart_local, zone, after=rid - timedelta(seconds=1)), None)
            == rid
        ):
            if rid <= self.clock.now():
                raise Conflict("This game of the series is in the past.")
            return rid
        raise NotFound("This series has no game at that time.")

    def _bump(self, series: GameSeries) -> None:
        series.version += 1
        series.updated_at = self.clock.now()

    async def _view(self, sid: uuid.UUID, access: GuildAccess) -> SeriesView:
        async with self.db.uow(guild_id=access.guild_id) as uow:
            series = await self._load_series(uow.session, sid)
            games = (await self._made(uow.session, [sid])).get(sid, {})
        now = self.clock.now()
        zone = zone_or_invalid(series.time_zone)
        items: list[OccurrenceView] = [
            _made_view(rid, game)
            for rid, game in games.items()
            if rid <= now
            and (game.status == "in_progress" or (game.status == "scheduled" and game.scheduled_at > now))
        ]
        skipped = set(series.skipped)
        for rid in islice(expand(series.rrule, series.dtstart_local, zone, after=now), UPCOMING):
            if (game := games.get(rid)) is not None:
                items.append(_made_view(rid, game))
            elif rid in skipped:
                items.append(OccurrenceView(recurrence_id=rid, scheduled_at=rid, status="skipped"))
            elif series.status == "active":
                lead = series.lead_minutes
                creates = None if lead is None else max(now, rid - timedelta(minutes=lead))
                items.append(
                    OccurrenceView(recurrence_id=rid, scheduled_at=rid, status="planned", creates_at=creates)
                )
        items.sort(key=lambda o: o.scheduled_at)
        return SeriesView(
            id=str(series.id),
            guild_id=str(series.guild_id),
            channel_id=str(series.channel_id),
            host_id=str(series.host_id),
            title=series.title,
            rrule=series.rrule,
            summary=describe(series.rrule, series.dtstart_local),
            time_zone=series.time_zone,
            starts_at=to_utc(series.dtstart_local, zone),
            lead_minutes=series.lead_minutes,
            carry_roster=series.carry_roster,
            status="ended" if series.status == "ended" else "active",
            version=series.version,
            can_manage=access.is_manager or series.host_id == access.user_id,
            upcoming=items[:UPCOMING],
        )


def _made_view(rid: datetime, game: Game) -> OccurrenceView:
    return OccurrenceView(
        recurrence_id=rid,
        scheduled_at=game.scheduled_at,
        status=game.status,  # type: ignore[arg-type]  # one of models.STATUSES, all of them OccurrenceStatus
        game_id=str(game.id),
        moved=game.scheduled_at != rid,
    )


def _same_day(series: GameSeries, zone: ZoneInfo, moment: datetime) -> datetime | None:
    """The series' occurrence on the local day of ``moment`` (by its current rule), if it has one."""
    day = moment.astimezone(zone).date()
    after = datetime.combine(day, datetime.min.time(), zone).astimezone(UTC) - timedelta(seconds=1)
    found = next(expand(series.rrule, series.dtstart_local, zone, after=after), None)
    return found if found is not None and found.astimezone(zone).date() == day else None
