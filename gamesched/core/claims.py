"""Claims: of several processes sharing the database, exactly one wins each id.

Discord delivers every interaction to every gateway session of the bot, so with two processes connected both
would answer each click. Before anything handles an interaction, its process claims the interaction's id
(``INSERT … ON CONFLICT DO NOTHING RETURNING``, table ``interaction_claims``); the process that inserted the
row answers, the others stay silent. Discord's ids are unique across everything it creates, so the id alone
is the key.

Claims made while one is being written go together into the next statement (a storm of clicks costs a
few statements, not one each), on a connection of their own with no ping before each use: a claim is one
round trip. Why PostgreSQL and not Redis: the database is what every process of one deployment shares by
definition (the job queue relies on it too), while Redis is optional, and a process that ran without it
would claim alone and answer twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import structlog
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched.core.clock import Clock

log = structlog.get_logger(__name__)

#: Discord wants an answer within 3 s and we defer slow work after 2 s: a claim may take this long.
CLAIM_TIMEOUT_SECONDS = 0.5
#: Housekeeping deletes claims older than this (an interaction cannot be answered after 15 minutes).
KEEP_CLAIMS = timedelta(hours=1)

#: In id order: two processes' statements then meet their common ids in the same order and cannot deadlock.
_CLAIM = text(
    "INSERT INTO interaction_claims (interaction_id, claimed_at)"
    " SELECT id, :now FROM unnest(:ids) AS id ORDER BY id"
    " ON CONFLICT DO NOTHING RETURNING interaction_id"
).bindparams(bindparam("ids", type_=ARRAY(BIGINT)))


class InteractionClaims:
    """``await claims.claim(interaction_id)`` is True in exactly one of the processes that ask."""

    def __init__(self, *, engine: AsyncEngine, clock: Clock) -> None:
        # The engine is this object's own (one connection, no pre-ping, autocommit): see the module doc.
        self._own_engine = engine
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._clock = clock
        self._waiting: dict[int, asyncio.Future[bool]] = {}
        self._writer: asyncio.Task[None] | None = None

    async def claim(self, interaction_id: int) -> bool:
        """Whether this process answers the interaction.

        When the database does not answer in time, True: every process answers, so one answer reaches
        the user and the others are refused by Discord (logged), which beats "This interaction failed".
        """
        answer = self._waiting.get(interaction_id)
        if answer is None:
            answer = self._waiting[interaction_id] = asyncio.get_running_loop().create_future()
        if self._writer is None:
            self._writer = asyncio.create_task(self._write(), name="interaction-claims")
        try:
            return await asyncio.wait_for(asyncio.shield(answer), CLAIM_TIMEOUT_SECONDS)
        except TimeoutError:
            log.warning("interaction_claim_late", interaction_id=interaction_id)
            return True

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
        await self._own_engine.dispose()

    async def _write(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}  # later claims wait for the next statement
                try:
                    won = await asyncio.wait_for(self._insert(list(batch)), CLAIM_TIMEOUT_SECONDS)
                except Exception as exc:
                    log.warning("interaction_claims_failed", claims=len(batch), error=repr(exc))
                    won = set(batch)
                for interaction_id, answer in batch.items():
                    if not answer.done():
                        answer.set_result(interaction_id in won)
        finally:
            self._writer = None

    async def _insert(self, ids: Sequence[int]) -> set[int]:
        for attempt in (1, 2):
            try:
                async with self._engine.connect() as conn:
                    rows = await conn.execute(_CLAIM, {"ids": ids, "now": self._clock.now()})
                    return {int(row[0]) for row in rows}
            except DBAPIError as exc:
                # Without a ping before use, the first statement after a database restart finds the
                # connection dead; SQLAlchemy has replaced it, so one more try goes through.
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")
