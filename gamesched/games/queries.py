"""Reading games: one game, a guild's games, a person's games."""

from __future__ import annotations

import base64
import builtins
import functools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import msgspec
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Exists,
    Integer,
    ScalarSelect,
    Select,
    Text,
    bindparam,
    cast,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    union,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from gamesched.core.driver import DriverStatement, plain_rows
from gamesched.core.errors import Invalid, NotFound
from gamesched.games.models import Game, GameCount, Participant
from gamesched.games.render import GameRecord, ParticipantRow, render_game, user_ids_of
from gamesched.games.schedule import scheduled_column, scheduled_items
from gamesched.games.schemas import GameList, GameView
from gamesched.games.use_case import GAME_NOT_FOUND, GameUseCase, parse_game_id

if TYPE_CHECKING:
    from gamesched.guilds import GuildAccess

Role = Literal["host", "participant"]
MAX_PAGE = 100
#: A calendar feed keeps games this long after they started: a subscribed calendar deletes what leaves the
#: feed, and last week's game should stay in it.
FEED_PAST = timedelta(days=14)
#: A cancelled game stays in the feed (STATUS:CANCELLED) this long after it was cancelled: longer than any
#: calendar app waits between two fetches (Google: up to a day; Apple: a week at its slowest), so every
#: subscriber sees it struck out before it leaves the feed.
CANCELLED_KEPT = timedelta(days=7)
#: The most games one feed lists (a bound, far above anyone's two weeks and future).
FEED_LIMIT = 500

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
#: Built once, and run on the driver (``DriverStatement``): one game as everyone sees it (the bot, handlers).
_READ_ONE_GAME = DriverStatement(_READ_GAME.where(_GAMES.c.id == bindparam("game_id")))
#: One game to show, with what is still scheduled for it (``scheduled_json``): one round trip.
_READ_SHOWN_GAME = DriverStatement(
    _READ_GAME.add_columns(scheduled_column(_GAMES.c.id).label("scheduled_json")).where(
        _GAMES.c.id == bindparam("game_id")
    )
)
_roster_decoder = msgspec.json.Decoder(list[ParticipantRow])


#: A game as a read returns it for showing (``plain_rows``): its columns (and the read's extra ones) as fields.
GameRow = Any


async def read_game(
    on: AsyncConnection | AsyncSession, game_id: uuid.UUID, statement: DriverStatement = _READ_ONE_GAME
) -> tuple[GameRow, builtins.list[ParticipantRow]]:
    """The game (a plain row, with the statement's extra columns) and its roster in one statement; ``on`` a
    connection, or a unit of work's session (read in its transaction, after any lock it took)."""
    rows = await statement.rows(on, {"game_id": game_id})
    if not rows:
        raise NotFound(GAME_NOT_FOUND)
    row = rows[0]
    return row, _roster_decoder.decode(row.roster_json)


class GameQueries(GameUseCase):
    async def get(self, game_id: str, user_id: int) -> GameView:
        """One game, for a member of its guild (others get NotFound)."""
        gid, access = await self._enter(game_id, user_id)
        async with self.db.read(guild_id=access.guild_id) as conn:
            game, participants = await read_game(conn, gid, _READ_SHOWN_GAME)
        if game.post_at is not None and not self._can_manage(game, access):
            raise NotFound(GAME_NOT_FOUND)  # not announced yet: only its host and the managers know it
        view = await self._render(game, participants, viewer=access)
        view.schedule = scheduled_items(game.scheduled_json)
        return view

    async def find_by_message(self, message_id: int, *, guild_id: int) -> GameView | None:
        """The game a Discord message announces, if any (the bot knows the guild from Discord's event)."""
        async with self.db.read(guild_id=guild_id) as conn:
            game_id = await conn.scalar(select(Game.id).where(Game.message_id == message_id))
            if game_id is None:
                return None
            game, participants = await read_game(conn, game_id)
        return await self._render(game, participants, viewer=None)

    async def snapshot(self, game_id: str | uuid.UUID, *, guild_id: int) -> GameView:
        """A game as everyone sees it, for trusted callers that already know its guild (bot, handlers)."""
        gid = parse_game_id(game_id)
        async with self.db.read(guild_id=guild_id) as conn:
            game, participants = await read_game(conn, gid)
        return await self._render(game, participants, viewer=None)

    async def snapshots(self, game_ids: Sequence[str], *, guild_id: int) -> builtins.list[GameView]:
        """Several games of one guild as everyone sees them, in one statement (a wave of reminders);
        games that are gone are left out."""
        ids = builtins.list(dict.fromkeys(parse_game_id(g) for g in game_ids))
        async with self.db.read(guild_id=guild_id) as conn:
            rows = plain_rows(await conn.execute(_READ_GAME.where(_GAMES.c.id.in_(ids))))
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
        if guild_id is not None:
            access = await self.guilds.access(guild_id, user_id)
            accesses = {guild_id: access}
            shape = _GuildPage(
                statuses=tuple(wanted),
                channel=channel_id is not None,
                role=role,
                manager=access.is_manager,
                after=start is not None,
            )
            params = {
                "guild_id": guild_id,
                "channel_id": channel_id,
                "user_id": user_id,
                "limit": limit,
                "offset": offset,
                "after_at": start[0] if start else None,
                "after_id": start[1] if start else None,
            }
            query, count_query = _guild_page(shape)
            async with self.db.read(guild_id=guild_id) as conn:
                games, rosters, count = await _run_page(conn, query, count_query, params)
        else:
            if channel_id is not None:
                filters.append(Game.channel_id == channel_id)
            if role == "host":
                filters.append(Game.host_id == user_id)
            elif role == "participant":
                filters.append(_has_participant(user_id))
            else:
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
                mine, mine_counted = _page_statements(
                    scope, wanted, limit, offset, start, _count(scope, wanted)
                )
                games, rosters, count = await _run_page(uow.session, mine, mine_counted, {})
        return GameList(
            items=await self._render_many(games, rosters, accesses),
            total=count,
            limit=limit,
            offset=offset,
            next_cursor=encode_cursor(games[-1]) if len(games) == limit else None,
        )

    async def upcoming_for_user(self, user_id: int) -> builtins.list[GameView]:
        """The games of someone's calendar feed, in start order: those they host or are on the roster of
        (confirmed or waitlisted) in every server they are still a member of, from FEED_PAST ago on.
        Cancelled ones stay CANCELLED_KEPT after the cancellation, so subscribed calendars learn of it.

        The one source of the feed's events: recurring series' occurrences are games rows, so they come
        with it; occurrences not created yet would be added here."""
        now = self.clock.now()
        query = (
            _READ_GAME.where(
                _GAMES.c.id.in_(_games_of(user_id)),
                _GAMES.c.scheduled_at >= now - FEED_PAST,
                or_(
                    _GAMES.c.status != "cancelled",
                    _GAMES.c.cancelled_at >= now - CANCELLED_KEPT,
                ),
                or_(_GAMES.c.post_at.is_(None), _GAMES.c.host_id == user_id),
            )
            .order_by(_GAMES.c.scheduled_at, _GAMES.c.id)
            .limit(FEED_LIMIT)
        )
        # Trusted cross-guild read of the person's own games; guilds they left are dropped below.
        async with self.db.uow(bypass_rls=True) as uow:
            rows = plain_rows(await uow.session.execute(query))
        accesses: dict[int, GuildAccess] = {}
        for guild_id in dict.fromkeys(row.guild_id for row in rows):
            try:
                accesses[guild_id] = await self.guilds.access(guild_id, user_id)
            except NotFound:
                continue
        rows = [row for row in rows if row.guild_id in accesses]
        rosters = {row.id: _roster_decoder.decode(row.roster_json) for row in rows}
        return await self._render_many(rows, rosters, accesses)

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
        games: Sequence[GameRow],
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


def _announced_or_hosted_by(user_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """Games a plain member may see: announced ones, and those they host."""
    return or_(Game.post_at.is_(None), Game.host_id == user_id)


def _hidden_from(user_id: int | ColumnElement[int]) -> builtins.list[ColumnElement[bool]]:
    """Games not announced yet that a plain member does not host (few: the partial index finds them)."""
    return [Game.post_at.is_not(None), Game.host_id != user_id]


def _has_participant(user_id: int | ColumnElement[int]) -> Exists:
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


def _counted(
    guild_id: int | ColumnElement[int], channel_id: int | ColumnElement[int] | None, statuses: Sequence[str]
) -> ScalarSelect[Any]:
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
    limit: int | ColumnElement[int],
    offset: int | ColumnElement[int],
    after: tuple[Any, Any] | None = None,
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


class _GuildPage(NamedTuple):
    """What shapes the statement of a page of one guild's games (the values are its parameters)."""

    statuses: tuple[str, ...]
    channel: bool
    role: Role | None
    manager: bool
    after: bool


#: The parameters of a guild page's statement, typed like the columns they are compared with.
_GUILD = bindparam("guild_id", type_=Game.guild_id.type)
_CHANNEL = bindparam("channel_id", type_=Game.channel_id.type)
_USER = bindparam("user_id", type_=Game.host_id.type)
_LIMIT = bindparam("limit", type_=Integer)
_OFFSET = bindparam("offset", type_=Integer)
_AFTER = (bindparam("after_at", type_=Game.scheduled_at.type), bindparam("after_id", type_=Game.id.type))


@functools.lru_cache(maxsize=256)
def _guild_page(shape: _GuildPage) -> tuple[DriverStatement, Select[Any]]:
    """The statements of a page of one guild's games, built once per shape: building them (subqueries,
    aliases, their column collections) took about a fifth of a list request's CPU. The page runs on the
    driver (``DriverStatement``) unless it filters on statuses (an expanding ``IN``)."""
    filters: builtins.list[ColumnElement[bool]] = []
    if shape.channel:
        filters.append(Game.channel_id == _CHANNEL)
    if shape.role == "host":
        filters.append(Game.host_id == _USER)
    elif shape.role == "participant":
        filters.append(_has_participant(_USER))
    if not shape.manager:
        filters.append(_announced_or_hosted_by(_USER))
    # RLS already keeps other guilds out; naming the guild lets PostgreSQL use its indexes.
    scope = [Game.guild_id == _GUILD, *filters]
    total: ColumnElement[Any]
    if shape.role is None:
        total = _counted(_GUILD, _CHANNEL if shape.channel else None, shape.statuses)
        if not shape.manager:  # less the games not announced yet that they may not see
            total -= _count([Game.guild_id == _GUILD, *filters[:-1], *_hidden_from(_USER)], shape.statuses)
    else:
        total = _count(scope, shape.statuses)
    query, count_query = _page_statements(
        scope, shape.statuses, _LIMIT, _OFFSET, _AFTER if shape.after else None, total
    )
    return DriverStatement(query), count_query


def _page_statements(
    scope: Sequence[ColumnElement[bool]],
    statuses: Sequence[str],
    limit: int | ColumnElement[int],
    offset: int | ColumnElement[int],
    after: tuple[Any, Any] | None,
    total: ColumnElement[Any],
) -> tuple[Select[Any], Select[Any]]:
    """One page of games (plain rows) with their rosters and the ``total`` count in one statement, and the
    count alone (for an empty page)."""
    page = _in_order(scope, statuses, limit, offset, after).subquery()
    query = select(page, _roster_json(page.c.id).label("roster_json"), total.label("total")).order_by(
        page.c.scheduled_at, page.c.id
    )
    return query, select(total)


async def _run_page(
    session: AsyncSession | AsyncConnection,
    query: Select[Any] | DriverStatement,
    count_query: Select[Any],
    params: dict[str, Any],
) -> tuple[builtins.list[GameRow], dict[uuid.UUID, builtins.list[ParticipantRow]], int]:
    if isinstance(query, DriverStatement):
        games = await query.rows(session, params)
    else:
        games = plain_rows(await session.execute(query, params))
    count = games[0].total if games else await session.scalar(count_query, params)
    return games, {game.id: _roster_decoder.decode(game.roster_json) for game in games}, int(count or 0)
