"""Reading games: one game, a guild's games, a person's games."""

from __future__ import annotations

import builtins
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Exists, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gamesched.core.errors import Invalid, NotFound
from gamesched.games.models import Game, Participant
from gamesched.games.render import render_game, user_ids_of
from gamesched.games.schemas import GameList, GameView
from gamesched.games.use_case import GameUseCase, parse_game_id

if TYPE_CHECKING:
    from gamesched.guilds import GuildAccess

Role = Literal["host", "participant"]
MAX_PAGE = 100


class GameQueries(GameUseCase):
    async def get(self, game_id: str, user_id: int) -> GameView:
        """One game, for a member of its guild (others get NotFound)."""
        gid, access = await self._enter(game_id, user_id)
        async with self.db.uow(guild_id=access.guild_id) as uow:
            game, participants = await self._load(uow.session, gid)
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
            game, participants = await self._load(uow.session, game_id)
        return await self._render(game, participants, viewer=None)

    async def snapshot(self, game_id: str | uuid.UUID, *, guild_id: int) -> GameView:
        """A game as everyone sees it, for trusted callers that already know its guild (bot, handlers)."""
        gid = parse_game_id(game_id)
        async with self.db.uow(guild_id=guild_id) as uow:
            game, participants = await self._load(uow.session, gid)
        return await self._render(game, participants, viewer=None)

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
    ) -> GameList:
        """A guild's games (members only), or — without a guild — the games you host or joined anywhere."""
        if not 1 <= limit <= MAX_PAGE:
            raise Invalid(f"limit must be between 1 and {MAX_PAGE}.", field="limit")
        if offset < 0:
            raise Invalid("offset cannot be negative.", field="offset")
        query = select(Game)
        if channel_id is not None:
            query = query.where(Game.channel_id == channel_id)
        if statuses:
            query = query.where(Game.status.in_(list(statuses)))
        if role == "host":
            query = query.where(Game.host_id == user_id)
        elif role == "participant":
            query = query.where(_has_participant(user_id))
        if guild_id is not None:
            access = await self.guilds.access(guild_id, user_id)
            accesses = {guild_id: access}
            async with self.db.uow(guild_id=guild_id) as uow:
                total, games, rosters = await _page(uow.session, query, limit, offset)
        else:
            if role is None:
                query = query.where((Game.host_id == user_id) | _has_participant(user_id))
            accesses = await self._accessible_guilds(query, user_id)
            # Trusted cross-guild read: restricted to the caller's games in guilds they are a member of.
            async with self.db.uow(bypass_rls=True) as uow:
                scoped = query.where(Game.guild_id.in_(list(accesses)))
                total, games, rosters = await _page(uow.session, scoped, limit, offset)
        return GameList(
            items=await self._render_many(games, rosters, accesses),
            total=total,
            limit=limit,
            offset=offset,
        )

    async def _accessible_guilds(self, query: Select[Game], user_id: int) -> dict[int, GuildAccess]:
        async with self.db.uow(bypass_rls=True) as uow:
            guild_ids = list(await uow.session.scalars(query.with_only_columns(Game.guild_id).distinct()))
        accesses: dict[int, GuildAccess] = {}
        for guild_id in guild_ids:
            try:
                accesses[guild_id] = await self.guilds.access(guild_id, user_id)
            except NotFound:
                continue
        return accesses

    async def _render_many(
        self,
        games: Sequence[Game],
        rosters: dict[uuid.UUID, builtins.list[Participant]],
        accesses: dict[int, GuildAccess],
    ) -> builtins.list[GameView]:
        wanted: dict[int, set[int]] = defaultdict(set)
        for game in games:
            wanted[game.guild_id] |= user_ids_of(game, rosters[game.id])
        members = {gid: await self.guilds.display_members(gid, ids) for gid, ids in wanted.items()}
        views = []
        for game in games:
            access = accesses[game.guild_id]
            views.append(
                render_game(
                    game,
                    rosters[game.id],
                    members=members[game.guild_id],
                    channel_name=self.guilds.channel_name(game.guild_id, game.channel_id),
                    viewer_id=access.user_id,
                    can_manage=self._can_manage(game, access),
                )
            )
        return views


def _has_participant(user_id: int) -> Exists:
    return (
        select(Participant.id).where(Participant.game_id == Game.id, Participant.user_id == user_id).exists()
    )


async def _page(
    session: AsyncSession, query: Select[Game], limit: int, offset: int
) -> tuple[int, list[Game], dict[uuid.UUID, list[Participant]]]:
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    games = list(
        await session.scalars(query.order_by(Game.scheduled_at, Game.id).limit(limit).offset(offset))
    )
    rosters: dict[uuid.UUID, list[Participant]] = {game.id: [] for game in games}
    if games:
        rows = await session.scalars(select(Participant).where(Participant.game_id.in_(list(rosters))))
        for p in rows:
            rosters[p.game_id].append(p)
    return int(total or 0), games, rosters
