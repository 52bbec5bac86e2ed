"""Rendering games into the views the API, the pages and the bot show, in this process: no database, no HTTP.

Every read of a game, a page of games, an announcement and a reminder wave renders views from rows
(``gamesched.games.render.render_game``); the reads benchmark sees that cost only inside the CPU per read,
among the HTTP stack's and PostgreSQL's. Here it is alone: the rows are built as a read gets them (the game's
columns as a named tuple, the roster decoded from JSON by the reads' own decoder), the members are the
guild's display cache entries, and each sample is the mean of a batch of renders.

``python -m benchmarks.render [--quick]``
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections import namedtuple
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from benchmarks import record
from benchmarks.harness import summary
from gamesched.games.models import Game
from gamesched.games.render import ParticipantRow, render_game
from gamesched.guilds.members import MemberDisplay

BATCH = 50
SAMPLES = 400
GUILD_ID = 1_000_000_000_000_000
#: A page of the reads benchmark's guild: one game with 50 players among games with two or three.
PAGE = [50, *([2, 3] * 12)]

#: The reads' decoder of a roster (``gamesched/games/queries.py``).
ROSTER = msgspec.json.Decoder(list[ParticipantRow])
GameRow = namedtuple("GameRow", [column.name for column in Game.__table__.columns])  # type: ignore[misc]


def game_row(players: int, n: int) -> tuple[Any, list[Any]]:
    now = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
    values: dict[str, Any] = dict.fromkeys(GameRow._fields)
    values.update(
        id=uuid.uuid4(),
        guild_id=GUILD_ID,
        channel_id=GUILD_ID + 1,
        host_id=GUILD_ID + 10,
        title=f"Board games night {n}",
        description="Bring snacks. " * 12,
        scheduled_at=now + timedelta(days=n),
        duration_minutes=180,
        max_players=max(4, players - 5),
        reminder_minutes=[60, 15],
        signup_instructions="",
        location="The back room",
        status="scheduled",
        message_id=GUILD_ID + 100 + n,
        created_at=now,
        updated_at=now,
        signup_method="self_signup",
        settings_sources={"max_players": "game", "reminder_minutes": "guild"},
        player_role_ids=[],
        priority_role_ids=[],
        notify_role_ids=[],
        version=3,
        remind_waitlist=False,
        rewards="",
        remind_rewards=False,
        time_zone="Europe/Berlin",
        locked_fields=[],
    )
    roster = [
        {
            "id": str(uuid.uuid4()),
            "user_id": GUILD_ID + 1000 + p,
            "placeholder": None,
            "position_type": 2,
            "position": 0,
            "joined_at": (now + timedelta(seconds=p)).isoformat(),
            "seq": p,
            "confirm_by": None,
        }
        for p in range(players)
    ]
    return GameRow(**values), ROSTER.decode(msgspec.json.encode(roster))


def members_of(games: Sequence[tuple[Any, list[Any]]]) -> dict[int, MemberDisplay]:
    ids = {game.host_id for game, _ in games} | {p.user_id for _, roster in games for p in roster}
    return {
        user_id: MemberDisplay(
            discord_id=user_id,
            display_name=f"Player {user_id % 1000}",
            avatar_url=f"https://cdn.discordapp.com/avatars/{user_id}/a1b2c3.png",
            present=True,
            username=f"player{user_id % 1000}",
        )
        for user_id in ids
    }


def render_samples(games: Sequence[tuple[Any, list[Any]]], samples: int) -> list[float]:
    """Microseconds per render of all ``games``, each the mean of a batch."""
    members = members_of(games)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        for _ in range(BATCH):
            for game, roster in games:
                render_game(
                    game,
                    roster,
                    members=members,
                    channel_name="board-games",
                    viewer_id=GUILD_ID + 1001,
                    can_manage=False,
                )
        times.append((time.perf_counter() - started) / BATCH * 1e6)
    return times


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.render", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    record.add_arguments(parser)
    args = parser.parse_args(argv)
    samples = SAMPLES // 10 if args.quick else SAMPLES
    cases = {
        "one game, 3 players": [game_row(3, 0)],
        "one game, 50 players": [game_row(50, 0)],
        "a page of 25 games (one with 50 players)": [game_row(p, n) for n, p in enumerate(PAGE)],
    }
    print(f"Rendering views from rows, in process; {samples} samples of {BATCH} renders each, µs per render:")
    figures = {}
    for label, games in cases.items():
        times = render_samples(games, samples)
        print(f"  {label:<44} {summary(times, 'µs')}")
        latency = record.latency(times)
        figures[label] = {f"us_{p}": value for p, value in latency.items()}
    record.report("render", figures, save_baseline=args.save_baseline)


if __name__ == "__main__":
    main()
