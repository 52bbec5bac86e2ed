"""The roster rules, pure: who holds a seat and who waits, and what changed between two rosters.

Order is (position_type, position, joined_at, seq): host-added players in the host's order, then players
matched by a priority role (best role first), then self-joined players by click order. ``seq`` is the
database's insert counter, so two clicks in the same microsecond still have a definite order.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any, Generic, Literal, Protocol, TypeVar

SeatStatus = Literal["confirmed", "waitlisted"]
CONFIRMED: SeatStatus = "confirmed"
WAITLISTED: SeatStatus = "waitlisted"


class PositionType(IntEnum):
    """How a participant got on the roster; lower sorts first."""

    HOST_ADDED = 1
    ROLE_MATCHED = 2
    SELF_ADDED = 3


class SignupMethod(StrEnum):
    SELF_SIGNUP = "self_signup"
    HOST_SELECTED = "host_selected"
    HOST_SELECTED_WITH_WAITLIST = "host_selected_with_waitlist"
    ROLE_BASED = "role_based"


class RosterEntry(Protocol):
    """What the roster rules read of a participant (the Participant model and test rows both fit)."""

    @property
    def id(self) -> Any: ...
    @property
    def position_type(self) -> int: ...
    @property
    def position(self) -> int: ...
    @property
    def joined_at(self) -> datetime: ...
    @property
    def seq(self) -> int: ...


#: Any RosterEntry. Deliberately unbounded: mypy does not match SQLAlchemy's Mapped[] attributes to protocol
#: members reliably inside import cycles, and the rules only read the attributes above.
E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class Roster(Generic[E]):
    confirmed: tuple[E, ...]
    waitlist: tuple[E, ...]

    def placement(self, entry_id: object) -> tuple[SeatStatus, int] | None:
        """(status, 1-based position within that list) of one participant, or None if absent."""
        for status, entries in ((CONFIRMED, self.confirmed), (WAITLISTED, self.waitlist)):
            for index, entry in enumerate(entries, start=1):
                if _id(entry) == entry_id:
                    return status, index
        return None

    @property
    def ordered(self) -> tuple[E, ...]:
        return self.confirmed + self.waitlist


@dataclass(frozen=True, slots=True)
class RosterDiff(Generic[E]):
    """Participants present in both rosters whose seat changed."""

    promoted: tuple[E, ...]
    demoted: tuple[E, ...]


def roster_order(entry: Any) -> tuple[int, int, datetime, float]:
    """A participant's place in the order. One not written yet (``seq`` None) comes after those written with
    the same type, position and time, as the database's counter will have it; several such keep the order in
    which they arrived (sorts are stable, ``with_joined`` bisects to the right)."""
    seq = entry.seq
    return (int(entry.position_type), entry.position, entry.joined_at, math.inf if seq is None else seq)


def partition_roster(entries: Iterable[E], max_players: int, signup_method: str) -> Roster[E]:
    """Split participants into confirmed seats and the waitlist.

    With ``host_selected_with_waitlist`` only host-added participants can hold seats: self-joins queue
    until the host selects them.
    """
    ordered = sorted(entries, key=roster_order)
    if signup_method == SignupMethod.HOST_SELECTED_WITH_WAITLIST:
        selected = [e for e in ordered if _type(e) == PositionType.HOST_ADDED]
        confirmed = selected[:max_players]
        seated = {_id(e) for e in confirmed}
        waitlist = [e for e in ordered if _id(e) not in seated]
        return Roster(tuple(confirmed), tuple(waitlist))
    return Roster(tuple(ordered[:max_players]), tuple(ordered[max_players:]))


@dataclass(frozen=True, slots=True)
class Joined(Generic[E]):
    """A roster after someone joined: the roster, the joiner's (status, 1-based position) in it, and who
    else changed seats (``diff_rosters`` of before and after)."""

    roster: Roster[E]
    placement: tuple[SeatStatus, int]
    moves: RosterDiff[E]


def with_joined(before: Roster[E], entry: E, max_players: int) -> Joined[E]:
    """``before`` with ``entry`` added, under every signup method but ``host_selected_with_waitlist`` (where
    seats follow the host's picks, not the order: use ``partition_roster``).

    The same as partitioning again, at the cost of a bisection: a batch of N joins costs N·log N
    comparisons, not a sort and a diff of the whole roster per join (a tenth of a 200-click storm's CPU).
    A joiner before the last seat pushes that seat's holder to the head of the waitlist; nobody else moves.
    """
    ordered = before.ordered
    index = bisect.bisect_right(ordered, roster_order(entry), key=roster_order)
    ordered = (*ordered[:index], entry, *ordered[index:])
    after = Roster(ordered[:max_players], ordered[max_players:])
    if index >= max_players:
        return Joined(after, (WAITLISTED, index - max_players + 1), RosterDiff((), ()))
    pushed = before.confirmed[max_players - 1 :]  # the last seat's holder, when every seat was taken
    return Joined(after, (CONFIRMED, index + 1), RosterDiff((), pushed))


def diff_rosters(before: Roster[E], after: Roster[E]) -> RosterDiff[E]:
    """Who moved from the waitlist to a seat, and who lost a seat; joiners and leavers are not included."""
    was_confirmed = {_id(e) for e in before.confirmed}
    was_waitlisted = {_id(e) for e in before.waitlist}
    promoted = tuple(e for e in after.confirmed if _id(e) in was_waitlisted)
    demoted = tuple(e for e in after.waitlist if _id(e) in was_confirmed)
    return RosterDiff(promoted, demoted)


def role_priority(priority_role_ids: Sequence[int], member_role_ids: Iterable[int]) -> int | None:
    """Index of the first priority role the member holds (0 is best), or None when none match."""
    held = set(member_role_ids)
    for index, role_id in enumerate(priority_role_ids):
        if role_id in held:
            return index
    return None


def next_host_position(entries: Iterable[Any]) -> int:
    """The position after the last host-added participant (host positions start at 1)."""
    positions = [e.position for e in entries if e.position_type == PositionType.HOST_ADDED]
    return max(positions, default=0) + 1


def _id(entry: Any) -> Any:
    return entry.id


def _type(entry: Any) -> int:
    return int(entry.position_type)
