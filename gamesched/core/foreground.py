"""Foreground: the answers people are waiting for in this process right now (a click's ephemeral reply).

Work nobody waits for steps aside while any is in flight: the jobs a change hands to its own process at
commit (the local run, ``core/dispatcher.py``) start once the answers are out, or after a short bound. A
click storm's follow-up jobs (signal the open pages, schedule the join DMs, queue the announcement's refresh)
otherwise share the event loop and the database with the clicks still being answered, and every click waits
behind them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class Foreground:
    def __init__(self) -> None:
        self._in_flight = 0
        self._quiet: asyncio.Event | None = None

    @property
    def busy(self) -> bool:
        """Whether an answer is being worked on."""
        return self._in_flight > 0

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Around the work and the sending of one answer."""
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            if not self._in_flight and self._quiet is not None:
                self._quiet.set()
                self._quiet = None

    async def quiet(self, within: float) -> None:
        """Return once no answer is in flight, or after ``within`` seconds at most."""
        if not self._in_flight:
            return
        if self._quiet is None:
            self._quiet = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._quiet.wait()
