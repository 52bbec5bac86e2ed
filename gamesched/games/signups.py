"""The roster: joining and leaving, and the host's add / remove / reorder / replace.

Every change locks the game row (SELECT … FOR UPDATE) for the rest of its transaction, so concurrent
changes are applied one at a time in the order they get the lock. Joins and leaves on one game are grouped
(signup_batches): the clicks that arrive while a batch is written go together into the next one, in arrival
order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, INTEGER, SMALLINT, TIMESTAMP
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from gamesched.core.db import UnitOfWork
from gamesched.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from gamesched.core.inputs import clean_text
from gamesched.games import events
from gamesched.games.mentions import Entry, resolve_entries
from gamesched.games.models import Participant
from gamesched.games.queries import GameRow, read_game
from gamesched.games.render import ParticipantRow
from gamesched.games.roster import (
    PositionType,
    Roster,
    SignupMethod,
    diff_rosters,
    next_host_position,
    role_priority,
    roster_order,
    with_joined,
)
from gamesched.games.schemas import GameView, ParticipantAdd, ParticipantOrder, ParticipantReplace
from gamesched.games.signup_batches import Seat, Seats, SignupBatches, SignupClick, Snapshot
from gamesched.games.use_case import GAME_NOT_FOUND, GameUseCase

ROSTER_OPEN = ("scheduled", "in_progress")
NOT_ON_ROSTER = "That participant is not on this game's roster."


if TYPE_CHECKING:
    from gamesched.guilds import GuildAccess


class _NothingChanged(Exception):
    """Every click of a batch was refused: roll its transaction back."""


class GameSignups(GameUseCase):
    def __init__(self, **shared: Any) -> None:
        super().__init__(**shared)
        #: Joins and leaves on one game are written in batches (group commit); see signup_batches.py.
        self.batches = SignupBatches(self.apply_clicks)

    async def join(self, game_id: str, user_id: int) -> GameView:
        """Take a seat, or a place on the waitlist when full. Joining twice just reports where you are."""
        gid, access = await self._enter(game_id, user_id)
        done = await self.batches.join(gid, access)
        game, participants = done.game, done.participants
        return await self._render(game, participants, viewer=access)

    async def take_seat(self, game_id: str, user_id: int) -> Seat:
        """``join`` for a Discord button: the same, answered with the clicker's seat only (no roster render)."""
        gid, access = await self._enter(game_id, user_id)
        done = await self.batches.join(gid, access)
        status, position = done.seats.get(user_id, ("waitlisted", 0))
        return Seat(
            title=done.game.title, status=status, position=position, max_players=done.game.max_players
        )

    async def join_refusal(self, game: GameView, user_id: int) -> str | None:
        """Why this person may not join the game (None: they may, or are in already), for a page that
        offers Join only to those who can. The same sentence as the refusal of a join."""
        if game.status != "scheduled" or game.viewer_status is not None:
            return None
        guild_id = int(game.guild_id)
        access = await self.guilds.access(guild_id, user_id)
        return self._join_refusal(
            guild_id,
            game.signup_method,
            [int(role) for role in game.player_role_ids],
            int(game.host.discord_id),
            access,
        )

    def _join_refusal(
        self,
        guild_id: int,
        signup_method: str,
        player_role_ids: Sequence[int],
        host_id: int,
        access: GuildAccess,
    ) -> str | None:
        if signup_method == SignupMethod.HOST_SELECTED:
            return "This game does not take sign-ups: the host picks the players."
        if player_role_ids and host_id != access.user_id and not access.has_any_role(player_role_ids):
            return self.guilds.only_roles_can(guild_id, player_role_ids, "join")
        return None

    async def apply_clicks(self, gid: uuid.UUID, clicks: Sequence[SignupClick]) -> None:
        """One transaction for a batch of joins and leaves on one game, in arrival order, under the game's
        row lock; each click is answered (its future) after the commit, or with its own error.

        Round trips: BEGIN with the lock (which also stamps ``updated_at``), the game with its roster (plain
        rows, one statement), the players who left, the players who joined (one statement each, only when
        there are any), the events' jobs, COMMIT. No ORM object is made or flushed: a batch is the hot path
        of a click storm. A batch whose every click was refused changed nothing: it rolls back."""
        outcomes: list[DomainError | None] = []
        try:
            async with self.db.uow(
                guild_id=clicks[0].access.guild_id, begin_with=self.roster_lock(gid)
            ) as uow:
                game, participants = await read_game(uow.session, gid)
                # The roster after each click is the roster before the next (a join places its player by
                # bisection, so a batch of N joins is not N sorts of the roster); ``on_roster`` goes along.
                roster = self._roster(game, participants)
                on_roster = {p.user_id for p in participants}
                changes = _RosterChanges()
                for click in clicks:
                    try:
                        if click.leave:
                            roster = self._leave_one(
                                uow, game, participants, click.access.user_id, roster, changes
                            )
                            on_roster.discard(click.access.user_id)
                        else:
                            roster = self._join_one(
                                uow, game, participants, click.access, roster, on_roster, changes
                            )
                        outcomes.append(None)
                    except DomainError as error:
                        outcomes.append(error)
                if all(outcome is not None for outcome in outcomes):
                    raise _NothingChanged()
                await changes.write(uow, game)
        except _NothingChanged:  # rolled back: every click hears its refusal
            for click, outcome in zip(clicks, outcomes, strict=True):
                if outcome is not None and not click.answer.done():
                    click.answer.set_exception(outcome)
            return
        seats: Seats = {
            p.user_id: (status, position)
            for status, entries in (("confirmed", roster.confirmed), ("waitlisted", roster.waitlist))
            for position, p in enumerate(entries, start=1)
            if p.user_id is not None
        }
        done = Snapshot(game, participants, seats)
        for click, outcome in zip(clicks, outcomes, strict=True):
            if click.answer.done():
                continue
            if outcome is None:
                click.answer.set_result(done)
            else:
                click.answer.set_exception(outcome)

    def _join_one(
        self,
        uow: UnitOfWork,
        game: GameRow,
        participants: list[ParticipantRow],
        access: GuildAccess,
        before: Roster[ParticipantRow],
        on_roster: set[int | None],
        changes: _RosterChanges,
    ) -> Roster[ParticipantRow]:
        """Add the member (in the caller's batch; ``on_roster``: the user ids of ``participants``, kept up to
        date); the roster after."""
        user_id = access.user_id
        if game.post_at is not None and not self._can_manage(game, access):
            raise NotFound(GAME_NOT_FOUND)  # not announced yet: hidden from plain members
        if user_id in on_roster:
            return before  # already in: the answer says where
        self._require_status(game, "scheduled")
        refusal = self._join_refusal(
            game.guild_id, game.signup_method, game.player_role_ids or (), game.host_id, access
        )
        if refusal is not None:
            raise Forbidden(refusal)
        position_type, position = PositionType.SELF_ADDED, 0
        if game.signup_method == SignupMethod.ROLE_BASED:
            rank = role_priority(game.priority_role_ids or (), access.role_ids)
            if rank is not None:
                position_type, position = PositionType.ROLE_MATCHED, rank
        joined = ParticipantRow(
            id=str(uuid.uuid4()),
            user_id=user_id,
            placeholder=None,
            position_type=position_type,
            position=position,
            joined_at=self.clock.now(),
            seq=None,  # the database numbers it on insert, after everyone already written
        )
        changes.joined[joined.id] = joined
        participants.append(joined)
        on_roster.add(user_id)
        if game.signup_method == SignupMethod.HOST_SELECTED_WITH_WAITLIST:  # seats follow the host's picks
            after = self._roster(game, participants)
            status, place = after.placement(joined.id) or ("waitlisted", 0)
            moves = diff_rosters(before, after)
        else:  # placed by bisection: a batch of joins does not sort the roster once per join
            added = with_joined(before, joined, game.max_players)
            after, (status, place), moves = added.roster, added.placement, added.moves
        uow.publish(
            events.PlayerJoined(**self._event_base(game), user_id=user_id, status=status, position=place)
        )
        self._publish_diff(uow, game, after, moves)
        return after

    async def leave(self, game_id: str, user_id: int) -> GameView:
        """Give up a seat (or waitlist place); the first waitlisted player moves up."""
        gid, access = await self._enter(game_id, user_id)
        done = await self.batches.leave(gid, access)
        game, participants = done.game, done.participants
        return await self._render(game, participants, viewer=access)

    def _leave_one(
        self,
        uow: UnitOfWork,
        game: GameRow,
        participants: list[ParticipantRow],
        user_id: int,
        before: Roster[ParticipantRow],
        changes: _RosterChanges,
    ) -> Roster[ParticipantRow]:
        """Remove the member (in the caller's batch); the roster after."""
        mine = next((p for p in participants if p.user_id == user_id), None)
        if mine is None:
            raise Conflict("You are not signed up for this game.", code="not_a_participant")
        self._require_status(game, "scheduled")
        status, _ = before.placement(mine.id) or ("waitlisted", 0)
        changes.remove(mine.id)
        participants.remove(mine)
        base = self._event_base(game)
        uow.publish(events.PlayerLeft(**base, user_id=user_id, status=status))
        if mine.position_type == PositionType.HOST_ADDED and game.host_id != user_id:
            uow.publish(events.HostAddedPlayerLeft(**base, host_id=game.host_id, user_id=user_id))
        after = self._roster(game, participants)
        self._publish_moves(uow, game, before, after)
        return after

    async def add_participant(self, game_id: str, user_id: int, data: ParticipantAdd) -> GameView:
        """The host puts a member or a placeholder at the end of the host-added order.

        A member who had joined by themselves is moved into the host's order ("select from the waitlist").
        """
        if (data.mention is None) == (data.placeholder is None):
            raise Invalid("Give either a mention or a placeholder.", field="mention")
        gid, access = await self._enter(game_id, user_id)
        await self._authorize_manage(gid, access, "change the roster")
        if data.mention is not None:
            entries = await resolve_entries(
                self.guilds,
                access.guild_id,
                [data.mention],
                form_data=msgspec.to_builtins(data),
                field="mention",
            )
            if not entries:
                raise Invalid("Name a member (@name) or give a placeholder.", field="mention")
            entry = entries[0]
        else:
            text = clean_text(data.placeholder or "", field="placeholder", what="The placeholder")
            if not text:
                raise Invalid("A placeholder needs some text.", field="placeholder")
            entry = Entry(user_id=None, placeholder=text)
        member_id, placeholder = entry.user_id, entry.placeholder
        async with self.db.uow(guild_id=access.guild_id) as uow:
            game, participants = await self._load(uow.session, gid, lock=True)
            self._require_manager(game, access, "change the roster")
            self._require_status(game, *ROSTER_OPEN)
            before = self._roster(game, participants)
            existing = next(
                (p for p in participants if member_id is not None and p.user_id == member_id), None
            )
            base = self._event_base(game)
            if existing is not None:
                if existing.position_type == PositionType.HOST_ADDED:
                    raise Conflict("That member is already on the roster.", code="already_on_roster")
                existing.position_type = PositionType.HOST_ADDED
                existing.position = next_host_position(participants)
                uow.publish(events.RosterReordered(**base, by_user_id=user_id))
            else:
                added = Participant(
                    id=uuid.uuid4(),
                    game_id=game.id,
                    guild_id=game.guild_id,
                    user_id=member_id,
                    placeholder=placeholder,
                    position_type=PositionType.HOST_ADDED,
                    position=next_host_position(participants),
                    joined_at=self.clock.now(),
                )
                uow.session.add(added)
                await uow.session.flush()
                participants.append(added)
                status, place = self._roster(game, participants).placement(added.id) or ("waitlisted", 0)
                uow.publish(
                    events.PlayerAdded(
                        **base,
                        by_user_id=user_id,
                        participant_id=str(added.id),
                        user_id=member_id,
                        placeholder=placeholder,
                        status=status,
                        position=place,
                    )
                )
            self._publish_moves(uow, game, before, self._roster(game, participants))
            self._touch(game, bump_version=True)
            published = list(uow.events)
        return await self._with_told(await self._render(game, participants, viewer=access), published)

    async def remove_participant(self, game_id: str, user_id: int, participant_id: str) -> GameView:
        """The host takes someone (or a placeholder) off the roster; the first waitlisted moves up."""
        pid = _participant_id(participant_id)
        gid, access = await self._enter(game_id, user_id)
        async with self.db.uow(guild_id=access.guild_id) as uow:
            game, participants = await self._load(uow.session, gid, lock=True)
            self._require_manager(game, access, "change the roster")
            self._require_status(game, *ROSTER_OPEN)
            target = _find(participants, pid)
            before = self._roster(game, participants)
            status, _ = before.placement(target.id) or ("waitlisted", 0)
            await uow.session.delete(target)
            participants.remove(target)
            uow.publish(
                events.PlayerRemoved(
                    **self._event_base(game),
                    by_user_id=user_id,
                    participant_id=str(target.id),
                    user_id=target.user_id,
                    placeholder=target.placeholder,
                    status=status,
                )
            )
            self._publish_moves(uow, game, before, self._roster(game, participants))
            self._touch(game, bump_version=True)
            published = list(uow.events)
        return await self._with_told(await self._render(game, participants, viewer=access), published)

    async def reorder(self, game_id: str, user_id: int, data: ParticipantOrder) -> GameView:
        """Set the host's order: the listed participants become host-added, in this order, ahead of the rest."""
        ids = [_participant_id(pid, field="participant_ids") for pid in data.participant_ids]
        if len(set(ids)) != len(ids):
            raise Invalid("A participant is listed twice.", field="participant_ids")
        gid, access = await self._enter(game_id, user_id)
        async with self.db.uow(guild_id=access.guild_id) as uow:
            game, participants = await self._load(uow.session, gid, lock=True)
            self._require_manager(game, access, "change the roster")
            self._require_status(game, *ROSTER_OPEN)
            by_id = {p.id: p for p in participants}
            if missing := [str(pid) for pid in ids if pid not in by_id]:
                raise Invalid(
                    "Some participants are not on this game's roster.",
                    field="participant_ids",
                    unknown=missing,
                )
            before = self._roster(game, participants)
            listed = [by_id[pid] for pid in ids]
            others = sorted(
                (
                    p
                    for p in participants
                    if p.position_type == PositionType.HOST_ADDED and p.id not in set(ids)
                ),
                key=roster_order,
            )
            for position, p in enumerate([*listed, *others], start=1):
                p.position_type = PositionType.HOST_ADDED
                p.position = position
            uow.publish(events.RosterReordered(**self._event_base(game), by_user_id=user_id))
            self._publish_moves(uow, game, before, self._roster(game, participants))
            self._touch(game, bump_version=True)
            published = list(uow.events)
        return await self._with_told(await self._render(game, participants, viewer=access), published)

    async def replace_placeholder(
        self, game_id: str, user_id: int, participant_id: str, data: ParticipantReplace
    ) -> GameView:
        """Give a placeholder's seat to a real member, keeping its place in the order."""
        pid = _participant_id(participant_id)
        gid, access = await self._enter(game_id, user_id)
        await self._authorize_manage(gid, access, "change the roster")
        entries = await resolve_entries(
            self.guilds,
            access.guild_id,
            [data.mention],
            form_data=msgspec.to_builtins(data),
            field="mention",
        )
        if not entries or entries[0].user_id is None:
            raise Invalid("Name a member (@name) to take this seat.", field="mention")
        member_id = entries[0].user_id
        async with self.db.uow(guild_id=access.guild_id) as uow:
            game, participants = await self._load(uow.session, gid, lock=True)
            self._require_manager(game, access, "change the roster")
            self._require_status(game, *ROSTER_OPEN)
            target = _find(participants, pid)
            if target.user_id is not None:
                raise Invalid("Only a placeholder can be replaced by a member.", field="participant_id")
            if any(p.user_id == member_id for p in participants):
                raise Conflict("That member is already on the roster.", code="already_on_roster")
            replaced = target.placeholder
            target.user_id, target.placeholder = member_id, None
            await uow.session.flush()
            status, place = self._roster(game, participants).placement(target.id) or ("waitlisted", 0)
            uow.publish(
                events.PlayerAdded(
                    **self._event_base(game),
                    by_user_id=user_id,
                    participant_id=str(target.id),
                    user_id=member_id,
                    placeholder=None,
                    status=status,
                    position=place,
                    replaced_placeholder=replaced,
                )
            )
            self._touch(game, bump_version=True)
            published = list(uow.events)
        return await self._with_told(await self._render(game, participants, viewer=access), published)


def _participant_id(value: str, *, field: str = "participant_id") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        if field == "participant_id":
            raise NotFound(NOT_ON_ROSTER) from None
        raise Invalid(f"{value!r} is not a participant id.", field=field) from None


def _find(participants: list[Participant], pid: uuid.UUID) -> Participant:
    for p in participants:
        if p.id == pid:
            return p
    raise NotFound(NOT_ON_ROSTER)


#: A batch's joins in one statement, numbered (``seq``) in the order they came.
_ADD_JOINED = text(
    "INSERT INTO participants (id, game_id, guild_id, user_id, position_type, position, joined_at)"
    " SELECT id, :game_id, :guild_id, user_id, position_type, position, joined_at"
    " FROM unnest(:ids, :user_ids, :position_types, :positions, :joined_at)"
    " WITH ORDINALITY AS joined (id, user_id, position_type, position, joined_at, arrival)"
    " ORDER BY arrival"
).bindparams(
    bindparam("game_id", type_=PG_UUID),
    bindparam("guild_id", type_=BIGINT),
    bindparam("ids", type_=ARRAY(PG_UUID)),
    bindparam("user_ids", type_=ARRAY(BIGINT)),
    bindparam("position_types", type_=ARRAY(SMALLINT)),
    bindparam("positions", type_=ARRAY(INTEGER)),
    bindparam("joined_at", type_=ARRAY(TIMESTAMP(timezone=True))),
)
#: A batch's leaves of players written before it, in one statement.
_REMOVE_LEFT = text("DELETE FROM participants WHERE id = ANY(:ids)").bindparams(
    bindparam("ids", type_=ARRAY(PG_UUID))
)


class _RosterChanges:
    """What a batch of clicks does to the participants table: players to add, players to remove (a player
    who joins and leaves within one batch is never written)."""

    def __init__(self) -> None:
        self.joined: dict[str, ParticipantRow] = {}
        self.left: list[str] = []

    def remove(self, participant_id: str) -> None:
        """Take a player off: one who joined in this batch is simply not written; anyone else was read."""
        if self.joined.pop(participant_id, None) is None:
            self.left.append(participant_id)

    async def write(self, uow: UnitOfWork, game: GameRow) -> None:
        if self.left:
            await uow.session.execute(_REMOVE_LEFT, {"ids": [uuid.UUID(pid) for pid in self.left]})
        if joined := list(self.joined.values()):
            await uow.session.execute(
                _ADD_JOINED,
                {
                    "game_id": game.id,
                    "guild_id": game.guild_id,
                    "ids": [uuid.UUID(p.id) for p in joined],
                    "user_ids": [p.user_id for p in joined],
                    "position_types": [int(p.position_type) for p in joined],
                    "positions": [p.position for p in joined],
                    "joined_at": [p.joined_at for p in joined],
                },
            )
