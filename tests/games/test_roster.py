"""The roster rules as tables: order, seats and waitlist, and who moved between two rosters."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from gamesched.games.roster import (
    PositionType,
    Roster,
    SignupMethod,
    diff_rosters,
    next_host_position,
    partition_roster,
    role_priority,
    with_joined,
)

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
HOST, ROLE, SELF = PositionType.HOST_ADDED, PositionType.ROLE_MATCHED, PositionType.SELF_ADDED


@dataclass(frozen=True)
class Row:
    id: str
    position_type: int = SELF
    position: int = 0
    joined_at: datetime = T0
    seq: int | None = 0  # None: not written yet (the database numbers it)


def rows(*specs: tuple[str, int, int, int, int]) -> list[Row]:
    """(id, type, position, seconds after T0, seq)."""
    return [Row(i, t, p, T0 + timedelta(seconds=s), q) for i, t, p, s, q in specs]


def names(roster: Roster[Row]) -> tuple[list[str], list[str]]:
    return [r.id for r in roster.confirmed], [r.id for r in roster.waitlist]


PARTITION_CASES = [
    pytest.param(
        rows(("a", SELF, 0, 1, 1), ("b", SELF, 0, 2, 2), ("c", SELF, 0, 3, 3)),
        2,
        SignupMethod.SELF_SIGNUP,
        (["a", "b"], ["c"]),
        id="self-joins-in-join-order-then-waitlist",
    ),
    pytest.param(
        rows(("late", SELF, 0, 1, 9), ("early", SELF, 0, 1, 3)),
        1,
        SignupMethod.SELF_SIGNUP,
        (["early"], ["late"]),
        id="same-instant-ties-broken-by-click-sequence",
    ),
    pytest.param(
        rows(("second", SELF, 0, 1, 1), ("first", SELF, 0, 0, 2)),
        1,
        SignupMethod.SELF_SIGNUP,
        (["first"], ["second"]),
        id="joined-at-wins-over-sequence",
    ),
    pytest.param(
        rows(("self", SELF, 0, 0, 1), ("h2", HOST, 2, 5, 3), ("h1", HOST, 1, 9, 4)),
        2,
        SignupMethod.SELF_SIGNUP,
        (["h1", "h2"], ["self"]),
        id="host-added-first-in-host-order-even-if-later",
    ),
    pytest.param(
        rows(("a", SELF, 0, 1, 1), ("b", SELF, 0, 2, 2), ("c", SELF, 0, 3, 3), ("d", SELF, 0, 4, 4)),
        2,
        SignupMethod.SELF_SIGNUP,
        (["a", "b"], ["c", "d"]),
        id="max-lowered-below-confirmed-count-pushes-last-to-waitlist",
    ),
    pytest.param(
        rows(("Reserved", HOST, 1, 0, 1), ("Guest", HOST, 2, 0, 2), ("bob", SELF, 0, 1, 3)),
        2,
        SignupMethod.SELF_SIGNUP,
        (["Reserved", "Guest"], ["bob"]),
        id="placeholders-hold-seats",
    ),
    pytest.param(
        rows(("nobody", SELF, 0, 0, 1), ("player", ROLE, 1, 5, 2), ("vip", ROLE, 0, 9, 3)),
        2,
        SignupMethod.ROLE_BASED,
        (["vip", "player"], ["nobody"]),
        id="role-based-best-priority-role-first",
    ),
    pytest.param(
        rows(("h", HOST, 1, 9, 5), ("vip", ROLE, 0, 0, 1)),
        1,
        SignupMethod.ROLE_BASED,
        (["h"], ["vip"]),
        id="role-based-host-picks-still-come-first",
    ),
    pytest.param(
        rows(("s1", SELF, 0, 0, 1), ("h1", HOST, 1, 5, 2), ("s2", SELF, 0, 1, 3)),
        3,
        SignupMethod.HOST_SELECTED_WITH_WAITLIST,
        (["h1"], ["s1", "s2"]),
        id="host-selected-with-waitlist-only-host-picks-hold-seats",
    ),
    pytest.param(
        rows(("h1", HOST, 1, 0, 1), ("h2", HOST, 2, 0, 2), ("h3", HOST, 3, 0, 3), ("s1", SELF, 0, 0, 4)),
        2,
        SignupMethod.HOST_SELECTED_WITH_WAITLIST,
        (["h1", "h2"], ["h3", "s1"]),
        id="host-selected-with-waitlist-extra-host-picks-wait-first",
    ),
    pytest.param([], 5, SignupMethod.SELF_SIGNUP, ([], []), id="empty-roster"),
]


@pytest.mark.parametrize(("entries", "max_players", "method", "expected"), PARTITION_CASES)
def test_partition_roster(
    entries: list[Row], max_players: int, method: SignupMethod, expected: tuple[list[str], list[str]]
) -> None:
    assert names(partition_roster(entries, max_players, method)) == expected


def test_placement_is_one_based_within_each_list() -> None:
    roster = partition_roster(
        rows(("a", SELF, 0, 0, 1), ("b", SELF, 0, 1, 2), ("c", SELF, 0, 2, 3)), 1, "self_signup"
    )
    assert roster.placement("a") == ("confirmed", 1)
    assert roster.placement("c") == ("waitlisted", 2)
    assert roster.placement("zed") is None


A, B, C, D = rows(("a", SELF, 0, 0, 1), ("b", SELF, 0, 1, 2), ("c", SELF, 0, 2, 3), ("d", SELF, 0, 3, 4))

DIFF_CASES = [
    pytest.param([A, B, C], 2, [B, C], 2, [], ["c"], [], id="leave-promotes-first-waitlisted"),
    pytest.param([A, B, C, D], 3, [A, B, C, D], 2, [], [], ["c"], id="max-lowered-demotes-last-confirmed"),
    pytest.param([A, B, C, D], 1, [A, B, C, D], 3, [], ["b", "c"], [], id="max-raised-promotes-in-order"),
    pytest.param([A, B], 2, [A, B, C], 2, [], [], [], id="a-joiner-is-not-a-promotion"),
    pytest.param([A, B, C], 2, [A, C], 2, [], ["c"], [], id="removal-promotes"),
    pytest.param(
        [A, B, C], 2, [A, B, C], 2, [("c", HOST, 1)], ["c"], ["b"], id="host-pick-promotes-and-demotes"
    ),
]


@pytest.mark.parametrize(
    ("before_rows", "before_max", "after_rows", "after_max", "changes", "promoted", "demoted"), DIFF_CASES
)
def test_diff_rosters(
    before_rows: list[Row],
    before_max: int,
    after_rows: list[Row],
    after_max: int,
    changes: list[tuple[str, int, int]],
    promoted: list[str],
    demoted: list[str],
) -> None:
    before = partition_roster(before_rows, before_max, "self_signup")
    changed = {cid: (t, p) for cid, t, p in changes}
    moved = [
        Row(r.id, changed[r.id][0], changed[r.id][1], r.joined_at, r.seq) if r.id in changed else r
        for r in after_rows
    ]
    diff = diff_rosters(before, partition_roster(moved, after_max, "self_signup"))
    assert [r.id for r in diff.promoted] == promoted
    assert [r.id for r in diff.demoted] == demoted


@pytest.mark.parametrize("seed", range(300))
@pytest.mark.parametrize("method", [SignupMethod.SELF_SIGNUP, SignupMethod.ROLE_BASED])
def test_a_join_placed_by_bisection_is_where_partitioning_again_puts_it(seed: int, method: str) -> None:
    """A batch of joins on a roster of written and new participants, ties in time included: each join's
    roster, placement and moves are those of partitioning the whole roster again, as the database will
    order it once written (new rows numbered in arrival order)."""
    rng = random.Random(seed)
    max_players = rng.randint(0, 6)

    def row(name: str, seq: int | None) -> Row:
        kind = rng.choice([HOST, ROLE, SELF])
        return Row(name, kind, rng.randint(0, 2), T0 + timedelta(seconds=rng.randint(0, 2)), seq)

    written = [row(f"w{i}", i + 1) for i in range(rng.randint(0, 10))]
    as_stored = list(written)
    roster = partition_roster(written, max_players, method)
    for number in range(rng.randint(1, 8)):
        joiner = row(f"j{number}", None)
        added = with_joined(roster, joiner, max_players)
        as_stored.append(replace(joiner, seq=len(as_stored) + 1))
        expected = partition_roster(as_stored, max_players, method)
        moves = diff_rosters(roster, expected)
        assert names(added.roster) == names(expected)
        assert added.placement == expected.placement(joiner.id)
        assert [r.id for r in added.moves.promoted] == [r.id for r in moves.promoted] == []
        assert [r.id for r in added.moves.demoted] == [r.id for r in moves.demoted]
        roster = added.roster


@pytest.mark.parametrize(
    ("priority", "held", "expected"),
    [
        pytest.param([10, 20, 30], {30, 20}, 1, id="best-held-role-wins"),
        pytest.param([10, 20], {99}, None, id="no-priority-role"),
        pytest.param([], {10}, None, id="no-priority-roles-configured"),
        pytest.param([10], {10}, 0, id="first-role"),
    ],
)
def test_role_priority(priority: list[int], held: set[int], expected: int | None) -> None:
    assert role_priority(priority, held) == expected


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        pytest.param([], 1, id="first-host-pick"),
        pytest.param(
            rows(("a", HOST, 1, 0, 1), ("b", HOST, 4, 0, 2), ("c", SELF, 0, 0, 3)), 5, id="after-last"
        ),
        pytest.param(rows(("c", SELF, 0, 0, 3)), 1, id="self-joins-do-not-count"),
    ],
)
def test_next_host_position(entries: list[Row], expected: int) -> None:
    assert next_host_position(entries) == expected
