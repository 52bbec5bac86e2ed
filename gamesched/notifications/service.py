"""DMs delivered through the durable queue, each at most once per dedupe key, with a channel fallback.

Delivery is at-least-once like every job; the record in ``notifications`` makes it once in effect: a
delivery whose key is already recorded is skipped. The one window left is a crash after Discord accepted
the DM and before the record is committed: that DM is sent again on retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
import structlog
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from gamesched.core.clock import Clock
from gamesched.core.db import Database
from gamesched.core.modules import JobSpec
from gamesched.core.queue import Job, JobQueue, NewJob
from gamesched.notifications.messenger import DirectMessage, DMsClosed, Messenger
from gamesched.notifications.models import Notification

log = structlog.get_logger(__name__)

DELIVER = "notifications.deliver"
FALLBACK = "notifications.fallback"
#: Closed-DM fallbacks wait this long so that one channel message covers a whole burst of DMs.
FALLBACK_GATHER = timedelta(seconds=3)
#: DMs may wait out Discord's DM rate limit; at most this many run at once, leaving the other dispatcher
#: slots to announcements and timed work.
DM_CONCURRENCY = 12
FALLBACK_TEXT = "I couldn't DM {mentions}: please allow direct messages from server members. {summary}"


@dataclass(frozen=True, slots=True)
class DMRequest:
    """A DM to send: to whom, about what, and the key that makes it happen once."""

    guild_id: int
    user_id: int
    kind: str
    dedupe_key: str
    message: DirectMessage
    channel_id: int | None = None  # where to fall back when DMs are closed
    game_id: str | None = None
    fallback_summary: str = ""


class _Payload(msgspec.Struct, frozen=True):
    guild_id: int
    user_id: int
    kind: str
    dedupe_key: str
    message: DirectMessage
    channel_id: int | None = None
    game_id: str | None = None
    fallback_summary: str = ""


class Notifier:
    """Anyone may queue DMs; only a process with a messenger (the bot) delivers them."""

    def __init__(
        self, *, db: Database, queue: JobQueue, clock: Clock, messenger: Messenger | None = None
    ) -> None:
        self.db = db
        self.queue = queue
        self.clock = clock
        self.messenger = messenger

    def delivery_jobs(self) -> list[JobSpec]:
        """The jobs that send DMs and fallbacks: run only by a process that has a messenger."""
        if self.messenger is None:
            return []
        return [
            JobSpec(DELIVER, self._deliver, max_concurrency=DM_CONCURRENCY),
            JobSpec(FALLBACK, self._post_fallback),
        ]

    async def request(self, session: AsyncSession, dm: DMRequest, *, due_at: datetime | None = None) -> None:
        """Queue a DM in the caller's transaction; a pending DM with the same key is replaced."""
        await self.queue.enqueue_many(
            session, [NewJob(DELIVER, _payload_of(dm), due_at, f"dm:{dm.dedupe_key}")]
        )

    async def cancel(self, session: AsyncSession, dedupe_key: str) -> int:
        """Drop a DM that has not gone out yet (e.g. the join DM when the player left within the delay)."""
        return await self.queue.cancel(session, dedupe_prefix=f"dm:{dedupe_key}")

    async def sent(self, guild_id: int, dedupe_key: str) -> Notification | None:
        async with self.db.uow(guild_id=guild_id) as uow:
            return await uow.session.scalar(select(Notification).where(Notification.dedupe_key == dedupe_key))

    async def _deliver(self, job: Job) -> None:
        assert self.messenger is not None
        dm = msgspec.convert(job.payload, _Payload)
        if await self.sent(dm.guild_id, dm.dedupe_key) is not None:
            log.info("dm_already_sent", key=dm.dedupe_key)
            return
        try:
            await self.messenger.send_dm(dm.user_id, dm.message)
        except DMsClosed:
            await self._record(dm, "dms_closed")
            if dm.channel_id is not None:
                async with self.db.uow(guild_id=dm.guild_id) as uow:
                    await self.queue.enqueue(
                        uow.session,
                        FALLBACK,
                        {"guild_id": dm.guild_id, "channel_id": dm.channel_id},
                        due_at=self.clock.now() + FALLBACK_GATHER,
                        dedupe_key=f"dm-fallback:{dm.channel_id}",
                        replace=False,
                    )
            log.info("dm_closed", user_id=dm.user_id, kind=dm.kind)
            return
        await self._record(dm, "sent")
        log.info("dm_sent", user_id=dm.user_id, kind=dm.kind)

    async def _record(self, dm: _Payload, outcome: str) -> None:
        async with self.db.uow(guild_id=dm.guild_id) as uow:
            await uow.session.execute(
                insert(Notification)
                .values(
                    guild_id=dm.guild_id,
                    channel_id=dm.channel_id,
                    game_id=dm.game_id,
                    user_id=dm.user_id,
                    kind=dm.kind,
                    dedupe_key=dm.dedupe_key,
                    outcome=outcome,
                    fallback_summary=dm.fallback_summary,
                )
                .on_conflict_do_nothing(index_elements=[Notification.dedupe_key])
            )

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


def _payload_of(dm: DMRequest) -> dict[str, Any]:
    return msgspec.to_builtins(_Payload(**{f: getattr(dm, f) for f in _Payload.__struct_fields__}))
