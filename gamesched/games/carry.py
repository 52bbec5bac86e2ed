"""Cloning a game, the pure parts: which places a clone carries over (and which wait to be confirmed), the
checks on the confirmation deadline, and the next free slot a clone is proposed.

A carried player keeps their place in the order (host-added, role-matched or self-joined, and when they
joined), so the clone's roster reads like the source's; those carried "with a deadline" hold it pending
until they confirm (``Participant.confirm_by``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from gamesched.core.errors import Invalid
from gamesched.games.roster import PositionType, Roster

#: What happens to one list (the confirmed players, the waitlist) of the source: left behind, carried, or
#: carried pending a confirmation by the deadline.
CARRY_MODES = ("no", "yes", "deadline")
#: Dropping the players who did not confirm, at the deadline.
CONFIRM_DEADLINE = "games.confirm_deadline"
#: How far the web form looks for a free slot, in weeks.
SLOT_SEARCH_WEEKS = 52


@dataclass(frozen=True, slots=True)
class CarriedSeat:
    """A place carried over to a new game (or, in ``placed_in_order``, any place a new game starts with)."""

    user_id: int | None
    placeholder: str | None
    position_type: int
    position: int
    joined_at: datetime
    #: Set: the player must confirm by then.
    confirm_by: datetime | None = None


def carried_seats(
    roster: Roster[Any],
    *,
    confirmed: str,
    waitlist: str,
    confirm_by: datetime | None,
    host_id: int | None = None,
) -> list[CarriedSeat]:
    """The places of ``roster`` to carry, in roster order. A placeholder (nobody to ask) and the host (who
    asks) are carried without a deadline."""
    seats: list[CarriedSeat] = []
    for mode, entries in ((confirmed, roster.confirmed), (waitlist, roster.waitlist)):
        if mode == "no":
            continue
        for p in entries:
            ask = mode == "deadline" and p.user_id is not None and p.user_id != host_id
            seats.append(
                CarriedSeat(
                    user_id=p.user_id,
                    placeholder=p.placeholder,
                    position_type=int(p.position_type),
                    position=p.position,
                    joined_at=p.joined_at,
                    confirm_by=confirm_by if ask else None,
                )
            )
    return seats


def placed_in_order(
    carried: Sequence[CarriedSeat], typed: Sequence[Any], *, now: datetime
) -> list[CarriedSeat]:
    """Every place of a new game: the carried ones (host-added renumbered from 1, keeping their order), then
    the players typed on the form (``Entry``), host-added after them, joined ``now``; someone typed who is
    carried already is left out."""
    placed: list[CarriedSeat] = []
    host_position = 0
    for seat in carried:
        if seat.position_type == PositionType.HOST_ADDED:
            host_position += 1
            seat = replace(seat, position=host_position)
        placed.append(seat)
    carried_ids = {s.user_id for s in carried if s.user_id is not None}
    for entry in typed:
        if entry.user_id is not None and entry.user_id in carried_ids:
            continue
        host_position += 1
        placed.append(
            CarriedSeat(
                user_id=entry.user_id,
                placeholder=entry.placeholder,
                position_type=int(PositionType.HOST_ADDED),
                position=host_position,
                joined_at=now,
            )
        )
    return placed


def check_carry(
    *,
    confirmed: str,
    waitlist: str,
    confirm_by: datetime | None,
    scheduled_at: datetime | None,
    post_at: datetime | None,
    now: datetime,
) -> None:
    """Invalid (``confirm_by``) for a deadline that is missing, past, or not before the game starts."""
    if "deadline" not in (confirmed, waitlist):
        return
    if confirm_by is None:
        raise Invalid("Pick the time by which carried players must confirm.", field="confirm_by")
    if confirm_by <= now:
        raise Invalid("The confirmation deadline must be in the future.", field="confirm_by")
    if scheduled_at is not None and confirm_by >= scheduled_at:
        raise Invalid("The confirmation deadline must be before the game starts.", field="confirm_by")
    if post_at is not None and confirm_by <= post_at:
        raise Invalid(
            "The confirmation deadline must be after the game is announced (players are asked then).",
            field="confirm_by",
        )


def next_slot(
    when: datetime, zone: tzinfo | None, *, now: datetime, taken: Collection[datetime] = ()
) -> datetime:
    """The same weekday and wall-clock time in ``zone`` (the host's; None: UTC) a week after ``when`` — or
    the first such week that is still ahead and not ``taken`` (the host's games in the channel). Across a
    daylight-saving change the wall-clock time stays, so the UTC time moves by an hour."""
    zone = zone or UTC
    local = when.astimezone(zone)
    busy = {t.astimezone(UTC) for t in taken}
    for weeks in range(1, SLOT_SEARCH_WEEKS + 1):
        day = local.date() + timedelta(weeks=weeks)
        candidate = datetime.combine(day, local.time(), tzinfo=zone).astimezone(UTC)
        if candidate > now and candidate not in busy:
            return candidate
    return (local + timedelta(weeks=SLOT_SEARCH_WEEKS + 1)).astimezone(UTC)
