"""Reading games: one game, a guild's games, a person's games."""

from __future__ import annotations

import base64
import builtins
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import msgspec
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Exists,
    Row,
    ScalarSelect,
    Select,
    Text,
    cast,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    union,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from gamesched.core.errors import Invalid, NotFound
from gamesched.games.models import Game, GameCount, Participant
from gamesched.games.render import GameRecord, ParticipantRow, render_game, user_ids_of
from gamesched.games.schemas import GameList, GameView
from gamesched.games.use_case import GAME_NOT_FOUND, GameUseCase, parse_game_id

if TYPE_CHECKING:
    from gamesched.guilds import GuildAccess

Role = Literal["host", "participant"]
MAX_PAGE = 100

_GAMES = Game.__table__


def _roster_json(game_id: ColumnElement[Any]) -> ScalarSelect[str]:
    """The roster of the game whose id is ``game_id`` (a column of the outer statement) as one JSON value:
    read with its game in one statement, and decoded without an ORM object per player."""
    player = func.json_build_object(
        "id", Participant.id,
        "user_id", Participant.user_id,
        "placeholder", Participant.placeholder,
        "position_type", Participant.position_type,
        "position", Participant.position,
        "joined_at", Participant.joined_at,
        "seq", Participant.seq,
        "confirm_by", Participant.confirm_by,
    )  # fmt: skip
    roster = cast(func.coalesce(func.json_agg(player), literal_column("'[]'::json")), Text)
    return select(roster).where(Participant.game_id == game_id).scalar_subquery()


_READ_GAME = select(_GAMES, _roster_json(_GAMES.c.id).label("roster_json"))
_roster_decoder = msgspec.json.Decoder(list[ParticipantRow])


class GameQueries(GameUseCase):
    async def get(self, game_id: str, user_id: int) -> GameView:
        """One game, for a member of its guild (others get NotFound)."""
        gid, access = await self._enter(game_id, user_id)
        async with self.db.uow(guild_id=access.guild_id) as uow:
            game, participants = await self._read(uow.session, gid)
            if game.post_at is not None and not self._can_manage(game, access):
                raise NotFound(GAME_NOT_FOUND)  # not announced yet: only its host and the managers know it
            schedule = await self.schedule.pending(uow.session, gid)
        view = await self._render(game, participants, viewer=access)
        view.schedule = schedule
        return view

    async def find_by_message(self, message_id: int, *, guild_id: int) -> GameView | None:
        """The game a Discord message announces, if any (the bot knows the guild from Discord's event)."""
        async with self.db.uow(guild_id=guild_id) as uow:
            game_id = await uow.session.scalar(select(Game.id).where(Game.message_id == message_id))
            if game_id is None:
                return None
            game, participants = await self._read(uow.session, game_id)
        return await self._render(game, participants, viewer=None)

    async def snapshot(self, game_id: str | uuid.UUID, *, guild_id: int) -> GameView:
        """A game as everyone sees it, for trusted callers that already know its guild (bot, handlers)."""
        gid = parse_game_id(game_id)
        async with self.db.uow(guild_id=guild_id) as uow:
            game, participants = await self._read(uow.session, gid)
        return await self._render(game, participants, viewer=None)

    async def snapshots(self, game_ids: Sequence[str], *, guild_id: int) -> builtins.list[GameView]:
        """Several games of one guild as everyone sees them, in one statement (a wave of reminders);
        games that are gone are left out."""
        ids = builtins.list(dict.fromkeys(parse_game_id(g) for g in game_ids))
        async with self.db.uow(guild_id=guild_id) as uow:
            rows = builtins.list(await uow.session.execute(_READ_GAME.where(_GAMES.c.id.in_(ids))))
        rosters = {row.id: _roster_decoder.decode(row.roster_json) for row in rows}
        wanted: set[int] = set()
        for row in rows:
            wanted |= user_ids_of(row, rosters[row.id])
        members = await self.guilds.display_members(guild_id, wanted)
        channels = self.guilds.channel_names(guild_id)
        return [
            render_game(row, rosters[row.id], members=members, channel_name=channels.get(row.channel_id))
            for row in rows
        ]

    @staticmethod
    async def _read(
        session: AsyncSession, game_id: uuid.UUID
    ) -> tuple[Row[Any], builtins.list[ParticipantRow]]:
        """The game (a plain row) and its roster, for showing them: one statement, nothing locked."""
        row = (await session.execute(_READ_GAME.where(_GAMES.c.id == game_id))).one_or_none()
        if row is None:
            raise NotFound(GAME_NOT_FOUND)
        return row, _roster_decoder.decode(row.roster_json)

    async def list(
        self,
        user_id: int,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        statuses: Sequence[str] = (),
        role: Role | None = None,
        limit: int = 25,
        offset: int = 0,
        after: str | None = None,
    ) -> GameList:
        """A guild's games (members only), or — without a guild — the games you host or joined anywhere.

        In start order (then id). ``after`` — a page's ``next_cursor`` — continues after that page's last
        game, at the cost of one page however deep; ``offset`` skips games one by one."""
        if not 1 <= limit <= MAX_PAGE:
            raise Invalid(f"limit must be between 1 and {MAX_PAGE}.", field="limit")
        if offset < 0:
            raise Invalid("offset cannot be negative.", field="offset")
        if after is not None and offset:
            raise Invalid("Page with offset or with after, not both.", field="after")
        start = None if after is None else decode_cursor(after)
        wanted = builtins.list(dict.fromkeys(statuses))
        filters: builtins.list[ColumnElement[bool]] = []
        if channel_id is not None:
            filters.append(Game.channel_id == channel_id)
        if role == "host":
            filters.append(Game.host_id == user_id)
        elif role == "participant":
            filters.append(_has_participant(user_id))
        if guild_id is not None:
            access = await self.guilds.access(guild_id, user_id)
            accesses = {guild_id: access}
            if not access.is_manager:
                filters.append(_announced_or_hosted_by(user_id))
            # RLS already keeps other guilds out; naming the guild lets PostgreSQL use its indexes.
            scope = [Game.guild_id == guild_id, *filters]
            total: ColumnElement[Any]
            if role is None:
                total = _counted(guild_id, channel_id, wanted)
                if not access.is_manager:  # less the games not announced yet that they may not see
                    total -= _count(
                        [Game.guild_id == guild_id, *filters[:-1], *_hidden_from(user_id)], wanted
                    )
            else:
                total = _count(scope, wanted)
            async with self.db.uow(guild_id=guild_id) as uow:
                games, rosters, count = await _page(uow.session, scope, wanted, limit, offset, start, total)
        else:
            if role is None:
                filters.append(Game.id.in_(_games_of(user_id)))
            accesses = await self._accessible_guilds(filters, wanted, user_id)
            managed = [gid for gid, a in accesses.items() if a.is_manager]
            # Trusted cross-guild read: restricted to the caller's games in guilds they are a member of.
            async with self.db.uow(bypass_rls=True) as uow:
                scope = [
                    Game.guild_id.in_(builtins.list(accesses)),
                    *filters,
                    or_(_announced_or_hosted_by(user_id), Game.guild_id.in_(managed)),
                ]
                total = _count(scope, wanted)
                games, rosters, count = await _page(uow.session, scope, wanted, limit, offset, start, total)
        return GameList(
            items=await self._render_many(games, rosters, accesses),
            total=count,
            limit=limit,
            offset=offset,
            next_cursor=encode_cursor(games[-1]) if len(games) == limit else None,
        )

    async def _accessible_guilds(
        self, filters: Sequence[ColumnElement[bool]], statuses: Sequence[str], user_id: int
    ) -> dict[int, GuildAccess]:
        query = select(Game.guild_id).where(*filters, *_status_filter(statuses)).distinct()
        async with self.db.uow(bypass_rls=True) as uow:
            guild_ids = builtins.list(await uow.session.scalars(query))
        accesses: dict[int, GuildAccess] = {}
        for guild_id in guild_ids:
            try:
                accesses[guild_id] = await self.guilds.access(guild_id, user_id)
            except NotFound:
                continue
        return accesses

    async def _render_many(
        self,
        games: Sequence[Row[Any]],
        rosters: dict[uuid.UUID, builtins.list[ParticipantRow]],
        accesses: dict[int, GuildAccess],
    ) -> builtins.list[GameView]:
        wanted: dict[int, set[int]] = defaultdict(set)
        for game in games:
            wanted[game.guild_id] |= user_ids_of(game, rosters[game.id])
        members = {gid: await self.guilds.display_members(gid, ids) for gid, ids in wanted.items()}
        channels = {gid: self.guilds.channel_names(gid) for gid in wanted}
        views = []
        for game in games:
            access = accesses[game.guild_id]
            views.append(
                render_game(
                    game,
                    rosters[game.id],
                    members=members[game.guild_id],
                    channel_name=channels[game.guild_id].get(game.channel_id),
                    viewer_id=access.user_id,
                    can_manage=self._can_manage(game, access),
                )
            )
        return views


def _announced_or_hosted_by(user_id: int) -> ColumnElement[bool]:
    """Games a plain member may see: announced ones, and those they host."""
    return or_(Game.post_at.is_(None), Game.host_id == user_id)


def _hidden_from(user_id: int) -> builtins.list[ColumnElement[bool]]:
    """Games not announced yet that a plain member does not host (few: the partial index finds them)."""
    return [Game.post_at.is_not(None), Game.host_id != user_id]


def _has_participant(user_id: int) -> Exists:
    return (
        select(Participant.id).where(Participant.game_id == Game.id, Participant.user_id == user_id).exists()
    )


def _games_of(user_id: int) -> CompoundSelect:
    """Ids of the games someone hosts or plays in: two index look-ups, not a scan of every game."""
    return union(
        select(Game.id).where(Game.host_id == user_id),
        select(Participant.game_id).where(Participant.user_id == user_id),
    )


def _status_filter(statuses: Sequence[str]) -> builtins.list[ColumnElement[bool]]:
    return [Game.status.in_(builtins.list(statuses))] if statuses else []


def _counted(guild_id: int, channel_id: int | None, statuses: Sequence[str]) -> ScalarSelect[Any]:
    """How many of a guild's games match, from the per-channel, per-status counts (a few rows, exact)."""
    query = select(func.coalesce(func.sum(GameCount.games), 0)).where(GameCount.guild_id == guild_id)
    if channel_id is not None:
        query = query.where(GameCount.channel_id == channel_id)
    if statuses:
        query = query.where(GameCount.status.in_(builtins.list(statuses)))
    return query.scalar_subquery()


def _count(scope: Sequence[ColumnElement[bool]], statuses: Sequence[str]) -> ScalarSelect[Any]:
    """An exact count, for filters the counts do not cover (someone's own games)."""
    return select(func.count()).select_from(Game).where(*scope, *_status_filter(statuses)).scalar_subquery()


def encode_cursor(game: GameRecord) -> str:
    """Where a page ended, as an opaque string: the last game's start and id."""
    raw = f"{game.scheduled_at.isoformat()}|{game.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, game_id = raw.split("|")
        start = datetime.fromisoformat(when)
        if start.tzinfo is None:
            raise ValueError("naive time")
        return start.astimezone(UTC), uuid.UUID(game_id)
    except (ValueError, OverflowError):  # binascii.Error and UnicodeDecodeError are ValueErrors too
        raise Invalid("after is not a cursor this API gave out (next_cursor).", field="after") from None


def _in_order(
    scope: Sequence[ColumnElement[bool]],
    statuses: Sequence[str],
    limit: int,
    offset: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> Select[Game]:
    """One page in start order (then id), read off an index ending in (scheduled_at, id).

    With several statuses, one ordered branch per status is merged: an index gives one status's games in
    order, not several at once, and without the branches PostgreSQL would sort every matching game.
    ``after`` starts the index range past a game, so the page costs the same however deep it is.
    """
    order = (Game.scheduled_at, Game.id)
    if after is not None:
        scope = [*scope, tuple_(Game.scheduled_at, Game.id) > tuple_(*after)]
    if len(statuses) <= 1:
        query = select(Game).where(*scope, *_status_filter(statuses))
        return query.order_by(*order).limit(limit).offset(offset)
    branches = [
        select(Game).where(*scope, Game.status == status).order_by(*order).limit(offset + limit)
        for status in statuses
    ]
    merged = union_all(*branches).subquery()
    return (
        select(aliased(Game, merged)).order_by(merged.c.scheduled_at, merged.c.id).limit(limit).offset(offset)
    )


async def _page(
    session: AsyncSession,
    scope: Sequence[ColumnElement[bool]],
    statuses: Sequence[str],
    limit: int,
    offset: int,
    after: tuple[datetime, uuid.UUID] | None,
    total: ColumnElement[Any],
) -> tuple[list[Row[Any]], dict[uuid.UUID, list[ParticipantRow]], int]:
    """One page of games (plain rows), their rosters and the ``total`` count, in one statement (the count
    alone when the page is empty)."""
    page = _in_order(scope, statuses, limit, offset, after).subquery()
    query = select(page, _roster_json(page.c.id).label("roster_json"), total.label("total")).order_by(
        page.c.scheduled_at, page.c.id
    )
    games = list(await session.execute(query))
    count = games[0].total if games else await session.scalar(select(total))
    return games, {game.id: _roster_decoder.decode(game.roster_json) for game in games}, int(count or 0)
