"""Reads the bot needs on its trusted system paths (it knows the guild from Discord's event)."""

from __future__ import annotations

from sqlalchemy import select

from gamesched.games.base import GameServiceBase
from gamesched.games.models import Game
from gamesched.games.schemas import GameView


class GameBotQueries(GameServiceBase):
    async def find_by_message(self, message_id: int, *, guild_id: int) -> GameView | None:
        """The game a Discord message announces, if any."""
        async with self.db.uow(guild_id=guild_id) as uow:
            game_id = await uow.session.scalar(select(Game.id).where(Game.message_id == message_id))
            if game_id is None:
                return None
            game, participants = await self._load(uow.session, game_id)
        return await self._render(game, participants, viewer=None)
