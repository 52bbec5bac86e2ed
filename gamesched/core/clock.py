"""Time as an injected dependency, so tests move time instead of sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    async def sleep_until(self, moment: datetime) -> None:
        """Return once it is ``moment`` (at once if that is past)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, moment: datetime) -> None:
        delay = (moment - self.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)


class FakeClock:
    """A clock that only moves when told to; whoever sleeps on it wakes when it is moved far enough."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, moment: datetime) -> None:
        if moment <= self._now:
            return
        woken = asyncio.get_running_loop().create_future()
        self._sleepers.append((moment, woken))
        await woken

    @property
    def sleeping(self) -> int:
        """How many are sleeping on this clock (tests: "it waits for the clock now")."""
        return sum(not woken.done() for _, woken in self._sleepers)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` (or ``timedelta(**kwargs)``) and return the new time."""
        self.set(self._now + (delta if delta is not None else timedelta(**kwargs)))
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment
        sleeping = []
        for until, woken in self._sleepers:
            if until <= moment:
                if not woken.done():
                    woken.set_result(None)
            else:
                sleeping.append((until, woken))
        self._sleepers = sleeping
