"""Queueing DMs: each through the durable queue, at most once per dedupe key, with a channel fallback.

Delivery is at-least-once like every job; the record in ``notifications`` makes it once in effect: a DM
whose key is already recorded is not sent again, and a resend after a crash carries the same nonce, which
Discord answers with the first message (see delivery.py, which sends them in batches).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import msgspec
import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gamesched.core.clock import Clock
from gamesched.core.db import Database
from gamesched.core.modules import BatchJobSpec, JobSpec
from gamesched.core.queue import Job, JobQueue, NewJob
from gamesched.games import seats_now
from gamesched.notifications.delivery import (
    CLAIM_AHEAD,
    DELIVER,
    DM_BATCH,
    DM_BATCHES,
    FALLBACK,
    OPEN_CHANNELS,
    DMDelivery,
    DMRequest,
    StillRelevant,
)
from gamesched.notifications.messenger import Messenger
from gamesched.notifications.models import Notification

__all__ = ["DMRequest", "Notifier", "StillRelevant"]

log = structlog.get_logger(__name__)

#: A DM due at least this far ahead has its recipient's DM channel opened now (see DMDelivery.open_channels).
OPEN_CHANNEL_AHEAD = timedelta(seconds=30)
#: ... but not at once: a click storm's joiners have their channels opened once the storm is answered
#: (halfway to the DM when that is sooner).
OPEN_CHANNEL_AFTER = timedelta(seconds=10)

FALLBACK_TEXT = "I couldn't DM {mentions}: please allow direct messages from server members. {summary}"


class Notifier:
    """Anyone may queue DMs; only a process with a messenger (the bot) delivers them."""

    def __init__(
        self, *, db: Database, queue: JobQueue, clock: Clock, messenger: Messenger | None = None
    ) -> None:
        self.db = db
        self.queue = queue
        self.clock = clock
        self.messenger = messenger

    def delivery_jobs(self) -> list[JobSpec | BatchJobSpec]:
        """The jobs that send DMs and fallbacks: run only by a process that has a messenger."""
        if self.messenger is None:
            return []
        delivery = DMDelivery(db=self.db, queue=self.queue, clock=self.clock, messenger=self.messenger)
        return [
            BatchJobSpec(
                DELIVER,
                delivery.deliver,
                batch_size=DM_BATCH,
                max_concurrency=DM_BATCHES,
                claim_ahead=CLAIM_AHEAD.total_seconds(),
            ),
            BatchJobSpec(OPEN_CHANNELS, delivery.open_channels, batch_size=DM_BATCH),
            JobSpec(FALLBACK, self._post_fallback),
        ]

    async def request(self, session: AsyncSession, dm: DMRequest, *, due_at: datetime | None = None) -> None:
        """Queue a DM in the caller's transaction; a pending DM with the same key is replaced."""
        await self.request_many(session, [dm], due_at=due_at)

    async def request_many(
        self, session: AsyncSession, dms: Iterable[DMRequest], *, due_at: datetime | None = None
    ) -> None:
        """Queue several DMs in one statement (a reminder wave). For DMs due later, the recipients' DM
        channels are opened now, while nothing is urgent."""
        dms = list(dms)
        jobs = [NewJob(DELIVER, msgspec.to_builtins(dm), due_at, f"dm:{dm.dedupe_key}") for dm in dms]
        if due_at is not None and due_at >= self.clock.now() + OPEN_CHANNEL_AHEAD:
            jobs += self.open_channel_jobs((dm.user_id for dm in dms), before=due_at)
        if jobs:
            await self.queue.enqueue_many(session, jobs)

    def open_channel_jobs(self, user_ids: Iterable[int], *, before: datetime) -> list[NewJob]:
        """Jobs that open these people's DM channels ahead of DMs due at ``before`` (queue them with whatever
        schedules those DMs): see DMDelivery.open_channels."""
        now = self.clock.now()
        due = now + min(OPEN_CHANNEL_AFTER, (before - now) / 2)
        return [
            NewJob(OPEN_CHANNELS, {"user_id": user_id}, due, f"dm-channel:{user_id}", replace=False)
            for user_id in sorted(set(user_ids))
        ]

    async def cancel(self, session: AsyncSession, dedupe_key: str) -> int:
        """Drop a DM that has not gone out yet (e.g. the join DM when the player left within the delay)."""
        return await self.queue.cancel(session, dedupe_prefix=f"dm:{dedupe_key}")

    async def sent(self, guild_id: int, dedupe_key: str) -> Notification | None:
        async with self.db.uow(guild_id=guild_id) as uow:
            return await uow.session.scalar(select(Notification).where(Notification.dedupe_key == dedupe_key))

    async def _post_fallback(self, job: Job) -> None:
        assert self.messenger is not None
        guild_id, channel_id = int(job.payload["guild_id"]), int(job.payload["channel_id"])
        async with self.db.uow(guild_id=guild_id) as uow:
            pending = (
                await uow.session.scalars(
                    select(Notification)
                    .where(
                        Notification.channel_id == channel_id,
                        Notification.outcome == "dms_closed",
                        Notification.fallback_posted_at.is_(None),
                    )
                    .order_by(Notification.id)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            pending = await _still_relevant(uow.session, pending)
            if not pending:
                return
            users = list(dict.fromkeys(n.user_id for n in pending))
            summaries = list(dict.fromkeys(n.fallback_summary for n in pending if n.fallback_summary))
            text = FALLBACK_TEXT.format(
                mentions=" ".join(f"<@{u}>" for u in users), summary=" ".join(summaries)
            )
            await self.messenger.post(channel_id, text[:2000], mention_user_ids=users)
            await uow.session.execute(
                update(Notification)
                .where(Notification.id.in_([n.id for n in pending]))
                .values(fallback_posted_at=self.clock.now())
            )
        log.info("dm_fallback_posted", channel_id=channel_id, users=len(users))


async def _still_relevant(session: AsyncSession, pending: Sequence[Notification]) -> Sequence[Notification]:
    """The closed DMs whose news still holds; the others are marked done without a post (the game was
    cancelled, or the person left, in the seconds the fallback waits to gather a burst)."""
    conditions = {
        n.id: msgspec.convert(n.relevance, StillRelevant)
        for n in pending
        if n.relevance is not None and n.game_id is not None
    }
    if not conditions:
        return pending
    now = await seats_now(
        session, {(n.game_id, n.user_id) for n in pending if n.id in conditions and n.game_id}
    )
    moot = [
        n
        for n in pending
        if n.id in conditions and not conditions[n.id].holds(now.get((n.game_id or "", n.user_id)), set())
    ]
    if not moot:
        return pending
    await session.execute(
        update(Notification)
        .where(Notification.id.in_([n.id for n in moot]))
        .values(fallback_posted_at=func.now())
    )
    log.info("dm_fallback_dropped", count=len(moot), kinds=sorted({n.kind for n in moot}))
    gone = {n.id for n in moot}
    return [n for n in pending if n.id not in gone]
