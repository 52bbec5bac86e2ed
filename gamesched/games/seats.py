"""Where people stand now in many games at once: one statement for a whole batch of (game, person) pairs.

Used when something queued earlier about a game comes due (a DM): is the game still on (and at the time it
names), and does the person still hold the seat it talks about? The seat is worked out in SQL with the
roster rules of roster.py: order by (position_type, position, joined_at, seq); the first ``max_players``
hold seats, except that with ``host_selected_with_waitlist`` only host-added players do.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from gamesched.core.driver import DriverStatement
from gamesched.games.roster import PositionType, SeatStatus, SignupMethod


@dataclass(frozen=True, slots=True)
class SeatNow:
    """A game's status and start now, and the seat one person holds in it (None: not on the roster)."""

    game_status: str
    seat: SeatStatus | None
    scheduled_at: datetime


_SEATS = DriverStatement(
    text(
        f"""
    WITH wanted AS (
        SELECT DISTINCT w.game_id, w.user_id
        FROM unnest(CAST(:game_ids AS uuid[]), CAST(:user_ids AS bigint[])) AS w(game_id, user_id)
    ), ranked AS (
        SELECT p.game_id, p.user_id, p.position_type,
               row_number() OVER (
                   PARTITION BY p.game_id ORDER BY p.position_type, p.position, p.joined_at, p.seq
               ) AS rank
        FROM participants p
        WHERE p.game_id IN (SELECT game_id FROM wanted)
    )
    SELECT w.game_id, w.user_id, g.status, g.scheduled_at,
           CASE
               WHEN r.user_id IS NULL THEN NULL
               WHEN r.rank <= g.max_players
                    AND (g.signup_method <> '{SignupMethod.HOST_SELECTED_WITH_WAITLIST.value}'
                         OR r.position_type = {int(PositionType.HOST_ADDED)})
                   THEN 'confirmed'
               ELSE 'waitlisted'
           END AS seat
    FROM wanted w
    JOIN games g ON g.id = w.game_id
    LEFT JOIN ranked r ON r.game_id = w.game_id AND r.user_id = w.user_id
    """
    )
)


async def seats_now(
    session: AsyncSession | AsyncConnection, pairs: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], SeatNow]:
    """For each (game id, Discord user id): the game's status and the person's seat. A game that is gone
    (or not visible in ``session``'s guild) is missing from the answer."""
    wanted = list(dict.fromkeys(pairs))
    if not wanted:
        return {}
    game_ids, user_ids = [], []
    for game_id, user_id in wanted:
        try:
            game_ids.append(uuid.UUID(game_id))
        except ValueError:
            continue
        user_ids.append(user_id)
    rows = await _SEATS.rows(session, {"game_ids": game_ids, "user_ids": user_ids})
    return {(str(r.game_id), int(r.user_id)): SeatNow(r.status, r.seat, r.scheduled_at) for r in rows}
