"""What every games use case shares: finding a game's guild, loading and locking a game, permission checks,
rendering, roster events."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gamesched.core.clock import Clock
from gamesched.core.db import Database, UnitOfWork
from gamesched.core.errors import Conflict, Forbidden, NotFound
from gamesched.games import events
from gamesched.games.models import Game, Participant
from gamesched.games.render import GameRecord, ParticipantRow, Participants, render_game, user_ids_of
from gamesched.games.roster import Roster, RosterDiff, diff_rosters, partition_roster
from gamesched.games.schedule import GameSchedule
from gamesched.games.schemas import GameView
from gamesched.games.told import Telling

if TYPE_CHECKING:
    from gamesched.guilds import GuildAccess, GuildService

#: A roster's entries: the ORM objects of a host's change, or the plain rows of a batch of clicks.
P = TypeVar("P", Participant, ParticipantRow)

#: Games never move between guilds, so game → guild lookups are cached (bounded).
GUILD_CACHE_SIZE = 10_000
GAME_NOT_FOUND = "This game does not exist."
STATUS_SENTENCES = {
    "in_progress": "This game has already started.",
    "completed": "This game is over.",
    "archived": "This game is over.",
    "cancelled": "This game was cancelled.",
}


def parse_game_id(game_id: str | uuid.UUID) -> uuid.UUID:
    if isinstance(game_id, uuid.UUID):
        return game_id
    try:
        return uuid.UUID(game_id)
    except ValueError:
        raise NotFound(GAME_NOT_FOUND) from None


class GameUseCase:
    """Base of the use-case classes (lifecycle, signups, queries); ``GameService`` holds one of each, all
    sharing the game → guild cache."""

    def __init__(
        self,
        *,
        db: Database,
        guilds: GuildService,
        clock: Clock,
        schedule: GameSchedule,
        guild_by_game: OrderedDict[uuid.UUID, int],
        telling: Telling | None = None,
    ) -> None:
        self.db = db
        self.guilds = guilds
        self.clock = clock
        #: Reminders and transitions are queue rows written with the game.
        self.schedule = schedule
        self._guild_by_game = guild_by_game
        #: Counts the people a host's change DMs (games/told.py).
        self.telling = telling or Telling()

    # -- finding and locking -------------------------------------------------------------------------

    async def _guild_of(self, game_id: uuid.UUID) -> int:
        """The guild that owns a game, so the caller's membership can be checked before anything is read."""
        if (cached := self._guild_by_game.get(game_id)) is not None:
            return cached
        # Trusted lookup across guilds: only the guild id leaves this query, and every caller checks
        # membership of that guild (404 otherwise) before reading the game itself under RLS.
        async with self.db.uow(bypass_rls=True) as uow:
            guild_id = await uow.session.scalar(select(Game.guild_id).where(Game.id == game_id))
        if guild_id is None:
            raise NotFound(GAME_NOT_FOUND)
        self._remember(game_id, guild_id)
        return guild_id

    def _remember(self, game_id: uuid.UUID, guild_id: int) -> None:
        self._guild_by_game[game_id] = guild_id
        if len(self._guild_by_game) > GUILD_CACHE_SIZE:
            self._guild_by_game.popitem(last=False)

    async def _enter(self, game_id: str | uuid.UUID, user_id: int) -> tuple[uuid.UUID, GuildAccess]:
        """Resolve the game's guild and the caller's standing in it (NotFound for non-members)."""
        gid = parse_game_id(game_id)
        guild_id = await self._guild_of(gid)
        return gid, await self.guilds.access(guild_id, user_id)

    @staticmethod
    async def _load(
        session: AsyncSession, game_id: uuid.UUID, *, lock: bool = False
    ) -> tuple[Game, list[Participant]]:
        """The game and its roster; ``lock`` serialises roster changes on the game row (FOR UPDATE)."""
        query = select(Game).where(Game.id == game_id).execution_options(populate_existing=True)
        game = await session.scalar(query.with_for_update() if lock else query)
        if game is None:
            raise NotFound(GAME_NOT_FOUND)
        rows = await session.scalars(
            select(Participant)
            .where(Participant.game_id == game_id)
            .execution_options(populate_existing=True)
        )
        return game, list(rows)

    def roster_lock(self, game_id: uuid.UUID) -> str:
        """SQL that takes the game's row lock and stamps the roster change's time (``updated_at``), to send
        with BEGIN (``Database.uow(begin_with=…)``): a uuid and a time, so nothing to quote. An UPDATE's
        row lock excludes every other writer of the game, as SELECT … FOR UPDATE does."""
        return f"UPDATE games SET updated_at = '{self.clock.now().isoformat()}' WHERE id = '{game_id}'"

    # -- rules -------------------------------------------------------------------------------------

    @staticmethod
    def _can_manage(game: GameRecord, access: GuildAccess) -> bool:
        return access.is_manager or game.host_id == access.user_id

    def _require_manager(self, game: Game, access: GuildAccess, doing: str) -> None:
        if not self._can_manage(game, access):
            if game.post_at is not None:  # not announced yet: a plain member does not know it exists
                raise NotFound(GAME_NOT_FOUND)
            raise Forbidden(f"Only the host or a bot manager can {doing}.")

    async def _authorize_manage(self, game_id: uuid.UUID, access: GuildAccess, doing: str) -> None:
        """Check the host/manager rule before slower work (mention lookups); re-checked under the lock."""
        async with self.db.uow(guild_id=access.guild_id) as uow:
            host_id = await uow.session.scalar(select(Game.host_id).where(Game.id == game_id))
        if host_id is None:
            raise NotFound(GAME_NOT_FOUND)
        if not (access.is_manager or host_id == access.user_id):
            raise Forbidden(f"Only the host or a bot manager can {doing}.")

    @staticmethod
    def _require_status(game: GameRecord, *allowed: str) -> None:
        if game.status not in allowed:
            raise Conflict(STATUS_SENTENCES.get(game.status, "This game cannot be changed now."))

    def _touch(self, game: Game, *, bump_version: bool) -> None:
        game.updated_at = self.clock.now()
        if bump_version:
            game.version += 1

    # -- roster events -----------------------------------------------------------------------------

    @staticmethod
    def _roster(game: GameRecord, participants: Sequence[P]) -> Roster[P]:
        return partition_roster(participants, game.max_players, game.signup_method)

    @staticmethod
    def _publish_moves(uow: UnitOfWork, game: GameRecord, before: Roster[P], after: Roster[P]) -> None:
        """Tell members who gained or lost a seat because of someone else's change."""
        GameUseCase._publish_diff(uow, game, after, diff_rosters(before, after))

    @staticmethod
    def _publish_diff(uow: UnitOfWork, game: GameRecord, after: Roster[P], moves: RosterDiff[P]) -> None:
        """``_publish_moves`` when the moves are known already."""
        base = GameUseCase._event_base(game)
        for p in moves.promoted:
            if p.user_id is not None:
                placement = after.placement(p.id)
                uow.publish(events.WaitlistPromoted(**base, user_id=p.user_id, position=_pos(placement)))
        for p in moves.demoted:
            if p.user_id is not None:
                placement = after.placement(p.id)
                uow.publish(events.WaitlistDemoted(**base, user_id=p.user_id, position=_pos(placement)))

    @staticmethod
    def _event_base(game: GameRecord) -> dict[str, Any]:
        return {"game_id": str(game.id), "guild_id": game.guild_id, "channel_id": game.channel_id}

    async def _with_told(self, view: GameView, published: Sequence[Any]) -> GameView:
        """``view`` saying how many people the change (its ``published`` events) DMs."""
        told = await self.telling.count(view, [e for e in published if isinstance(e, events.GameEvent)])
        return view if told is None else msgspec.structs.replace(view, told=told)

    # -- rendering ---------------------------------------------------------------------------------

    async def _render(
        self, game: GameRecord, participants: Participants, *, viewer: GuildAccess | None
    ) -> GameView:
        members = await self.guilds.display_members(game.guild_id, user_ids_of(game, participants))
        return render_game(
            game,
            participants,
            members=members,
            channel_name=self.guilds.channel_name(game.guild_id, game.channel_id),
            viewer_id=None if viewer is None else viewer.user_id,
            can_manage=viewer is not None and self._can_manage(game, viewer),
        )


def _pos(placement: tuple[str, int] | None) -> int:
    return 0 if placement is None else placement[1]
