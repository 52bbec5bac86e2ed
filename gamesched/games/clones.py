"""Cloning a game: a new game like an existing one, at its next free slot, optionally with its players.

The new game is made by ``GameLifecycle.create`` like any other (the same checks, settings and events);
this use case adds only what a clone takes from its source: the time proposed, and the places carried over
(carry.py), some of them pending a confirmation (confirmations.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from gamesched.core.time_zones import zone_named
from gamesched.games.carry import CarriedSeat, carried_seats, check_carry, next_slot
from gamesched.games.models import Game
from gamesched.games.schemas import GameClone, GameCreate, GameView
from gamesched.games.use_case import GameUseCase

if TYPE_CHECKING:
    from gamesched.games.lifecycle import GameLifecycle
    from gamesched.games.queries import GameQueries

#: The source's fields a clone made through the API keeps (the form shows them all, to change any).
KEPT_FIELDS = (
    "title",
    "description",
    "duration_minutes",
    "location",
    "signup_method",
    "remind_waitlist",
    "archive_delay_minutes",
    "remind_rewards",
    "time_zone",
)


class GameClones(GameUseCase):
    def __init__(self, *, lifecycle: GameLifecycle, queries: GameQueries, **shared: Any) -> None:
        super().__init__(**shared)
        self.lifecycle = lifecycle
        self.queries = queries

    async def proposed_time(self, source: GameView) -> datetime:
        """The same weekday and local time (the host's zone, ``games.time_zone``) a week on, skipping weeks
        in which the host already has a game in that channel at that time."""
        now = self.clock.now()
        async with self.db.uow(guild_id=int(source.guild_id)) as uow:
            taken = await uow.session.scalars(
                select(Game.scheduled_at).where(
                    Game.guild_id == int(source.guild_id),
                    Game.channel_id == int(source.channel_id),
                    Game.host_id == int(source.host.discord_id),
                    Game.status.in_(("scheduled", "in_progress")),
                    Game.scheduled_at > now,
                )
            )
            busy = list(taken)
        return next_slot(source.scheduled_at, zone_named(source.time_zone), now=now, taken=busy)

    async def carried(self, source_id: str, user_id: int, choice: GameClone) -> list[CarriedSeat]:
        """The source's places to carry over (none unless asked; only its host or a manager may)."""
        if choice.confirmed == "no" and choice.waitlist == "no":
            return []
        gid, access = await self._enter(source_id, user_id)
        async with self.db.uow(guild_id=access.guild_id) as uow:
            game, participants = await self._load(uow.session, gid)
        self._require_manager(game, access, "carry its players over")
        return carried_seats(
            self._roster(game, participants),
            confirmed=choice.confirmed,
            waitlist=choice.waitlist,
            confirm_by=choice.confirm_by,
            host_id=user_id,
        )

    def check(
        self, choice: GameClone, *, scheduled_at: datetime | None, post_at: datetime | None = None
    ) -> None:
        """Invalid (``confirm_by``) for a deadline that cannot work with the new game's times."""
        check_carry(
            confirmed=choice.confirmed,
            waitlist=choice.waitlist,
            confirm_by=choice.confirm_by,
            scheduled_at=scheduled_at,
            post_at=post_at,
            now=self.clock.now(),
        )

    async def create(self, user_id: int, data: GameCreate, *, source_id: str, choice: GameClone) -> GameView:
        """The new game as given (the clone form), with the places ``choice`` carries from the source."""
        self.check(choice, scheduled_at=data.scheduled_at, post_at=data.post_at)
        seats = await self.carried(source_id, user_id, choice)
        return await self.lifecycle.create(user_id, data, carried=seats)

    async def clone(self, source_id: str, user_id: int, choice: GameClone) -> GameView:
        """The JSON API's clone: the source's fields and settings, at ``choice.scheduled_at`` or the next
        free slot; the person cloning hosts it."""
        source = await self.queries.get(source_id, user_id)
        scheduled_at = choice.scheduled_at or await self.proposed_time(source)
        own = {name for name, level in source.settings_sources.items() if level == "game"}
        fields: dict[str, Any] = {name: getattr(source, name) for name in KEPT_FIELDS}
        data = GameCreate(
            guild_id=source.guild_id,
            channel_id=source.channel_id,
            scheduled_at=scheduled_at,
            max_players=source.max_players if "max_players" in own else None,
            reminder_minutes=source.reminder_minutes if "reminder_minutes" in own else None,
            signup_instructions=source.signup_instructions if "signup_instructions" in own else None,
            player_role_ids=source.player_role_ids if "player_role_ids" in own else None,
            priority_role_ids=source.priority_role_ids,
            notify_role_ids=source.notify_role_ids,
            template_id=source.template_id,
            archive_channel_id=source.archive_channel_id,
            **fields,
        )
        return await self.create(user_id, data, source_id=source_id, choice=choice)
