"""Group commit for Join and Leave clicks: a burst of N clicks on one game costs a few transactions, not N.

The first click on a game starts a batch at once; clicks that arrive while that batch is being written wait
and go together into the next one, in arrival order, in one transaction under the game's row lock (which
still orders writers across processes). Joins and leaves mix in one batch and apply in the order they came.
Each click is answered with its own outcome after its batch commits: a refused click (not allowed, game
started, leaving a game you are not in) fails alone.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from gamesched.games.render import GameRecord, ParticipantRow
    from gamesched.guilds import GuildAccess

log = structlog.get_logger(__name__)

#: (status, 1-based position) of each member on the roster, by user id.
Seats = dict[int, tuple[str, int]]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The game and its roster as a batch committed them, and everyone's seat (computed once per batch:
    a hundred clicks in a batch would otherwise each sort the roster to find their own)."""

    game: GameRecord
    participants: list[ParticipantRow]
    seats: Seats


@dataclass(frozen=True, slots=True)
class Seat:
    """Where a click put someone: what the button's answer says."""

    title: str
    status: str
    position: int
    max_players: int


@dataclass(slots=True)
class SignupClick:
    access: GuildAccess
    leave: bool = False  # a Leave click; otherwise a Join
    answer: asyncio.Future[Snapshot] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class SignupBatches:
    def __init__(self, apply: Callable[[uuid.UUID, Sequence[SignupClick]], Awaitable[None]]) -> None:
        self._apply = apply
        self._waiting: dict[uuid.UUID, list[SignupClick]] = {}
        self._writers: set[asyncio.Task[Any]] = set()

    async def join(self, game_id: uuid.UUID, access: GuildAccess) -> Snapshot:
        """Join in the game's next batch; the game and its roster as that batch committed them."""
        return await self._click(game_id, SignupClick(access))

    async def leave(self, game_id: uuid.UUID, access: GuildAccess) -> Snapshot:
        """Leave in the game's next batch; the game and its roster as that batch committed them."""
        return await self._click(game_id, SignupClick(access, leave=True))

    async def _click(self, game_id: uuid.UUID, click: SignupClick) -> Snapshot:
        waiting = self._waiting.get(game_id)
        if waiting is None:
            self._waiting[game_id] = [click]
            writer = asyncio.create_task(self._write(game_id), name=f"join-batches:{game_id}")
            self._writers.add(writer)
            writer.add_done_callback(self._writers.discard)
        else:
            waiting.append(click)
        return await click.answer

    async def _write(self, game_id: uuid.UUID) -> None:
        while batch := self._waiting[game_id]:
            self._waiting[game_id] = []  # later clicks wait for the next batch
            try:
                await self._apply(game_id, batch)
            except BaseException as error:  # the transaction itself failed: every click in it hears so
                for click in batch:
                    if not click.answer.done():
                        click.answer.set_exception(error)
                if not isinstance(error, Exception):
                    del self._waiting[game_id]
                    raise
            if len(batch) > 1:
                log.debug("signup_batch_written", game_id=str(game_id), clicks=len(batch))
        del self._waiting[game_id]
