"""Deterministic Discord snowflakes: the same world gets the same ids on every run."""

from __future__ import annotations

from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1_420_070_400_000
# Ids count up from a fixed instant (2024-01-01) one millisecond apart, so they sort like real
# snowflakes and never depend on the wall clock.
BASE_MS = 1_704_067_200_000


class SnowflakeGenerator:
    """Hands out increasing snowflakes from a counter."""

    def __init__(self, *, start: int = 0) -> None:
        self._tick = start

    def next_id(self) -> int:
        """Return the next snowflake."""
        tick, self._tick = self._tick, self._tick + 1
        return (BASE_MS + tick - DISCORD_EPOCH_MS) << 22


def snowflake_time(snowflake: int) -> datetime:
    """Return the instant encoded in a snowflake."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)
