"""The pure rules of cloning: the slot proposed, and the order of the places a clone starts with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from gamesched.games.carry import CarriedSeat, next_slot, placed_in_order
from gamesched.games.mentions import Entry
from gamesched.games.roster import PositionType

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 1, tzinfo=UTC)


def test_the_slot_a_week_on_keeps_the_wall_clock_time_when_clocks_go_forward() -> None:
    sunday = datetime(2027, 3, 21, 19, 0, tzinfo=BERLIN)  # CET
    assert next_slot(sunday, BERLIN, now=NOW) == datetime(2027, 3, 28, 19, 0, tzinfo=BERLIN)  # CEST
    assert next_slot(sunday, BERLIN, now=NOW) - sunday == timedelta(days=7, hours=-1)


def test_a_taken_or_past_week_is_skipped() -> None:
    when = datetime(2027, 5, 2, 19, 0, tzinfo=BERLIN)
    taken = [datetime(2027, 5, 9, 19, 0, tzinfo=BERLIN)]
    assert next_slot(when, BERLIN, now=NOW, taken=taken) == datetime(2027, 5, 16, 19, 0, tzinfo=BERLIN)
    later = datetime(2027, 5, 20, tzinfo=UTC)
    assert next_slot(when, BERLIN, now=later) == datetime(2027, 5, 23, 19, 0, tzinfo=BERLIN)


def test_without_a_zone_the_slot_is_a_week_on_in_utc() -> None:
    when = datetime(2027, 3, 21, 18, 0, tzinfo=UTC)
    assert next_slot(when, None, now=NOW) == when + timedelta(days=7)


def test_carried_places_come_first_and_typed_players_after_the_carried_host_added_ones() -> None:
    old = datetime(2026, 12, 1, tzinfo=UTC)
    carried = [
        CarriedSeat(
            user_id=1, placeholder=None, position_type=PositionType.HOST_ADDED, position=3, joined_at=old
        ),
        CarriedSeat(
            user_id=2, placeholder=None, position_type=PositionType.SELF_ADDED, position=0, joined_at=old
        ),
    ]
    typed = [Entry(user_id=1, placeholder=None), Entry(user_id=None, placeholder="Guest")]
    placed = placed_in_order(carried, typed, now=NOW)
    assert [(p.user_id, p.placeholder, p.position_type, p.position) for p in placed] == [
        (1, None, PositionType.HOST_ADDED, 1),
        (2, None, PositionType.SELF_ADDED, 0),
        (None, "Guest", PositionType.HOST_ADDED, 2),  # member 1, typed again, is placed once
    ]
    assert placed[1].joined_at == old and placed[2].joined_at == NOW
