"""Claims: of several processes sharing the database, exactly one wins each id.

Discord delivers every interaction to every gateway session of the bot, so with two processes connected both
would answer each click. Before anything handles an interaction, its process claims the interaction's id
(``INSERT … ON CONFLICT DO NOTHING RETURNING``, table ``interaction_claims``); the process that inserted the
row answers, the others stay silent. Discord's ids are unique across everything it creates, so the id alone
is the key.

Claims made while one is being written go together into the next statement (a storm of clicks costs a
few statements, not one each), on a connection of their own with no ping before each use: a claim is one
round trip (about 0.5 ms here). Every turn of the event loop counts under a storm, when each waits behind
the other clicks' work: the writer calls back (no task or future per claim) and times out with
``asyncio.timeout`` (no task either). Awaiting a future per claim through ``wait_for`` cost 100-click
storms about 300 ms at the median. Why PostgreSQL and not Redis: the database is what every process of one deployment shares by
definition (the job queue relies on it too), while Redis is optional, and a process that ran without it
would claim alone and answer twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta

import structlog
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched.core.clock import Clock
from gamesched.core.driver import DriverStatement

log = structlog.get_logger(__name__)

#: Discord wants an answer within 3 s and we defer slow work after 2 s: a claim may take this long. (0.5 s
#: was too short on a loaded 2-core machine: claims timed out, so both processes answered one click.)
CLAIM_TIMEOUT_SECONDS = 1.0
#: Housekeeping deletes claims older than this (an interaction cannot be answered after 15 minutes).
KEEP_CLAIMS = timedelta(hours=1)

#: In id order: two processes' statements then meet their common ids in the same order and cannot deadlock.
#: Run on the driver (``core/driver.py``): SQLAlchemy's execution path cost more CPU than the round trip.
_CLAIM = DriverStatement(
    text(
        "INSERT INTO interaction_claims (interaction_id, claimed_at)"
        " SELECT id, :now FROM unnest(:ids) AS id ORDER BY id"
        " ON CONFLICT DO NOTHING RETURNING interaction_id"
    ).bindparams(bindparam("ids", type_=ARRAY(BIGINT)))
)


#: Told whether this process won the interaction.
Decide = Callable[[bool], None]


class InteractionClaims:
    """Of the processes that claim an interaction, exactly one is told it won."""

    def __init__(self, *, engine: AsyncEngine, clock: Clock) -> None:
        # The engine is this object's own (one connection, no pre-ping, autocommit): see the module doc.
        self._own_engine = engine
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._clock = clock
        self._waiting: dict[int, Decide] = {}
        self._writer: asyncio.Task[None] | None = None

    def submit(self, interaction_id: int, decide: Decide) -> None:
        """Claim the interaction; ``decide(won)`` is called when the claim is written.

        A callback rather than an awaitable: the click's handler starts straight from the writer, with
        no task to wake per claim, since under a storm every wake-up waits its turn in a busy loop.
        When the database does not answer in time, every waiting claim is won: every process answers, one
        answer reaches the user and Discord refuses the others (logged), which beats "This interaction
        failed".
        """
        self._waiting[interaction_id] = decide
        if self._writer is None:
            self._writer = asyncio.create_task(self._write(), name="interaction-claims")

    async def claim(self, interaction_id: int) -> bool:
        """Whether this process answers the interaction (``submit``, awaited)."""
        won: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.submit(interaction_id, won.set_result)
        return await won

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
        await self._own_engine.dispose()

    async def _write(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}  # later claims wait for the next statement
                try:
                    # asyncio.timeout, not wait_for: no task of its own, so no extra turn of the loop.
                    async with asyncio.timeout(CLAIM_TIMEOUT_SECONDS):
                        won = await self._insert(list(batch))
                except Exception as exc:
                    # The claims behind this one would wait as long: they are answered here as well.
                    batch |= self._waiting
                    self._waiting = {}
                    log.warning("interaction_claims_failed", claims=len(batch), error=repr(exc))
                    won = set(batch)
                for interaction_id, decide in batch.items():
                    try:
                        decide(interaction_id in won)
                    except Exception:
                        log.exception("interaction_claim_callback_failed", interaction_id=interaction_id)
        finally:
            self._writer = None

    async def _insert(self, ids: Sequence[int]) -> set[int]:
        for attempt in (1, 2):
            try:
                async with self._engine.connect() as conn:
                    rows = await _CLAIM.rows(conn, {"ids": list(ids), "now": self._clock.now()})
                    return {int(row[0]) for row in rows}
            except DBAPIError as exc:
                # Without a ping before use, the first statement after a database restart finds the
                # connection dead; SQLAlchemy has replaced it, so one more try goes through.
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")
