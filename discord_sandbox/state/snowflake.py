"""Discord snowflakes from the clock: ids never repeat across restarts and tell when they were made.

A snowflake is the milliseconds since Discord's epoch shifted left by 22 bits, with a 12-bit counter in the
low bits for ids made in the same millisecond (worker and process bits stay 0, as one process makes them all).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1_420_070_400_000


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class SnowflakeGenerator:
    """Hands out strictly increasing snowflakes; ``now_ms`` is injectable for tests."""

    def __init__(self, *, now_ms: Callable[[], int] = wall_clock_ms, after: int = 0) -> None:
        self._now_ms = now_ms
        #: The last id handed out (a restored world passes its highest id, so none is ever reused).
        self._last = after

    def next_id(self) -> int:
        """Return the next snowflake: the clock's, or one more than the last when the clock has not moved."""
        candidate = (self._now_ms() - DISCORD_EPOCH_MS) << 22
        self._last = max(candidate, self._last + 1)
        return self._last

    @property
    def last_id(self) -> int:
        return self._last

    def advance_past(self, snowflake: int) -> None:
        """Never hand out ``snowflake`` or anything before it (used when a saved world is loaded)."""
        self._last = max(self._last, snowflake)


def snowflake_time(snowflake: int) -> datetime:
    """Return the instant encoded in a snowflake."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)
