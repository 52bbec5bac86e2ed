"""Keeping the jobs table small: finished jobs (and old interaction claims) are deleted after a retention
period, by a job of its own; the same job deletes expired cache entries (sessions, login states, notices and
drafts kept in PostgreSQL when no Redis is configured)."""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from gamesched.core.claims import KEEP_CLAIMS
from gamesched.core.db import Database
from gamesched.core.queue import Job, JobQueue

log = structlog.get_logger(__name__)

PURGE = "queue.purge_finished"
#: Done jobs are kept this long for debugging; dead jobs stay until someone looks at them.
KEEP_DONE = timedelta(days=7)
PURGE_EVERY = timedelta(hours=6)
_DEDUPE_KEY = "queue:purge"


class QueueHousekeeping:
    def __init__(self, *, db: Database, queue: JobQueue) -> None:
        self.db = db
        self.queue = queue
        queue.register(PURGE, self.purge_finished)

    async def schedule(self) -> None:
        """Make sure a purge is pending (idempotent: several processes share one pending row)."""
        async with self.db.uow(bypass_rls=True) as uow:
            await self._schedule_next(uow.session)

    async def purge_finished(self, job: Job) -> None:
        now = self.queue.clock.now()
        async with self.db.uow(bypass_rls=True) as uow:
            result = await uow.session.execute(
                text("DELETE FROM jobs WHERE state = 'done' AND finished_at < :cutoff"),
                {"cutoff": now - KEEP_DONE},
            )
            claims = await uow.session.execute(
                text("DELETE FROM interaction_claims WHERE claimed_at < :cutoff"),
                {"cutoff": now - KEEP_CLAIMS},
            )
            expired = await uow.session.execute(
                text("DELETE FROM cache_entries WHERE expires_at <= :now"), {"now": now}
            )
            await self._schedule_next(uow.session)
        log.info(
            "jobs_purged",
            deleted=int(result.rowcount or 0),  # type: ignore[attr-defined]
            claims_deleted=int(claims.rowcount or 0),  # type: ignore[attr-defined]
            cache_entries_deleted=int(expired.rowcount or 0),  # type: ignore[attr-defined]
        )

    async def _schedule_next(self, session: AsyncSession) -> None:
        await self.queue.enqueue(
            session,
            PURGE,
            {},
            due_at=self.queue.clock.now() + PURGE_EVERY,
            dedupe_key=_DEDUPE_KEY,
            replace=False,
        )
