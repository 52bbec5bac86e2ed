"""Places carried over to a clone that wait to be confirmed: confirm, decline, and the drop at the deadline.

A carried player asked to confirm holds their seat (or waitlist place) "pending" (``Participant.confirm_by``).
Confirm clears that; Decline is leaving the game (the waitlist moves up, with the usual DMs); at the
deadline the ``games.confirm_deadline`` job drops whoever is still pending, under the game's row lock, so a
second run (another process, a retry) finds nobody left to drop.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from gamesched.core.errors import Conflict
from gamesched.core.queue import JobQueue, NewJob
from gamesched.games import events
from gamesched.games.carry import CONFIRM_DEADLINE
from gamesched.games.models import Game, Participant
from gamesched.games.roster import Roster
from gamesched.games.use_case import GameUseCase

if TYPE_CHECKING:
    from gamesched.games.signups import GameSignups

log = structlog.get_logger(__name__)

NOT_PENDING_ANY_MORE = (
    "You're no longer on this game's roster: your place was given up. Join again from the announcement."
)


#: A place may wait for its confirmation while the game is ahead — or under way, when an edit moved the start
#: before the deadline (the deadline stands: the roster is still open then).
PENDING_STATUSES = ("scheduled", "in_progress")


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A confirmation's answer: where the player stands now."""

    title: str
    status: str
    position: int
    max_players: int
    #: False: it was confirmed before (a second click).
    changed: bool = True


def deadline_key(game_id: uuid.UUID | str) -> str:
    return f"confirm:{game_id}"


async def plan_confirm_deadline(
    queue: JobQueue, session: AsyncSession, game: Game, participants: Sequence[Participant]
) -> None:
    """Queue the drop of unconfirmed places at the earliest deadline still pending (in the caller's
    transaction); nothing when nobody waits."""
    pending = [p.confirm_by for p in participants if p.confirm_by is not None]
    if not pending:
        return
    payload = {"game_id": str(game.id), "guild_id": game.guild_id, "channel_id": game.channel_id}
    await queue.enqueue_many(
        session, [NewJob(CONFIRM_DEADLINE, payload, min(pending), deadline_key(game.id))]
    )


def confirmations_asked(
    game: Game, roster: Roster[Participant], base: dict[str, Any]
) -> list[events.ConfirmationAsked]:
    """One ``ConfirmationAsked`` per member whose place waits for them (the DM with the buttons)."""
    asked = []
    for status, entries in (("confirmed", roster.confirmed), ("waitlisted", roster.waitlist)):
        for position, p in enumerate(entries, start=1):
            if p.confirm_by is not None and p.user_id is not None:
                asked.append(
                    events.ConfirmationAsked(
                        **base,
                        user_id=p.user_id,
                        host_id=game.host_id,
                        status=status,  # type: ignore[arg-type]
                        position=position,
                        confirm_by=p.confirm_by,
                    )
                )
    return asked


class GameConfirmations(GameUseCase):
    def __init__(self, *, signups: GameSignups, **shared: Any) -> None:
        super().__init__(**shared)
        self.signups = signups

    async def confirm(self, game_id: str, user_id: int) -> Confirmed:
        """Keep a carried place; confirming twice answers the same."""
        gid, access = await self._enter(game_id, user_id)
        async with self.db.uow(guild_id=access.guild_id) as uow:
            game, participants = await self._load(uow.session, gid, lock=True)
            mine = next((p for p in participants if p.user_id == user_id), None)
            if mine is None:
                raise Conflict(NOT_PENDING_ANY_MORE, code="not_a_participant")
            self._require_status(game, *PENDING_STATUSES)
            changed = mine.confirm_by is not None
            if changed:
                if mine.confirm_by is not None and mine.confirm_by <= self.clock.now():
                    raise Conflict(NOT_PENDING_ANY_MORE, code="confirmation_lapsed")
                mine.confirm_by = None
                self._touch(game, bump_version=False)
                uow.publish(events.SeatConfirmed(**self._event_base(game), user_id=user_id))
            status, position = self._roster(game, participants).placement(mine.id) or ("waitlisted", 0)
        log.info("seat_confirmed", game_id=str(gid), user_id=user_id, changed=changed)
        return Confirmed(game.title, status, position, game.max_players, changed=changed)

    async def decline(self, game_id: str, user_id: int) -> str:
        """Give the carried place up: leaving the game (the waitlist moves up). The game's title."""
        view = await self.signups.leave(game_id, user_id)
        return view.title

    async def drop_unconfirmed(self, game_id: str, *, guild_id: int) -> int:
        """The deadline passed (system path, the ``games.confirm_deadline`` job): drop the places still
        pending, tell those players, and let the waitlist move up. How many were dropped."""
        gid = uuid.UUID(str(game_id))
        async with self.db.uow(guild_id=guild_id) as uow:
            game, participants = await self._load(uow.session, gid, lock=True)
            if game.status not in PENDING_STATUSES:
                return 0
            now = self.clock.now()
            lapsed = [p for p in participants if p.confirm_by is not None and p.confirm_by <= now]
            if not lapsed:
                await plan_confirm_deadline(self.schedule.queue, uow.session, game, participants)
                return 0
            before = self._roster(game, participants)
            base = self._event_base(game)
            for p in lapsed:
                status, _ = before.placement(p.id) or ("waitlisted", 0)
                await uow.session.delete(p)
                participants.remove(p)
                if p.user_id is not None:
                    uow.publish(events.ConfirmationLapsed(**base, user_id=p.user_id, status=status))
            self._publish_moves(uow, game, before, self._roster(game, participants))
            self._touch(game, bump_version=True)
            await plan_confirm_deadline(self.schedule.queue, uow.session, game, participants)
        log.info("unconfirmed_places_dropped", game_id=str(gid), dropped=len(lapsed))
        return len(lapsed)
