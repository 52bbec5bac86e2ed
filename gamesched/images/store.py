"""ImageStore: keep checked images by content, read them back, and sweep away the ones nothing points at.

Rows that show an image (a game's thumbnail and banner; a template's later) hold its ``name`` in a column
with a foreign key to ``images``. Those foreign keys are the whole list of users: the sweep reads them from
PostgreSQL's catalog, so a new table that points at images is covered by its migration alone, and the key
also refuses to delete an image a row took meanwhile.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gamesched.core.clock import Clock
from gamesched.core.db import Database
from gamesched.core.queue import Job, JobQueue
from gamesched.images.models import StoredImageRow
from gamesched.images.processing import ImageKind, PreparedImage, prepare_image

log = structlog.get_logger(__name__)

SWEEP = "images.sweep"
#: An image nothing points at is deleted this long after it was last uploaded or let go, so a page or an
#: announcement that still shows it (Discord refreshes its copy lazily) has time to move on.
GRACE = timedelta(hours=1)
_SWEEP_KEY = "images:sweep"
#: What an image's name looks like (the check in the images table says the same).
_NAME = re.compile(r"[0-9a-f]{64}\.(png|jpg|gif|webp)")
#: Serving reads one row by primary key; recent images are kept in memory (they never change), up to
#: this many bytes in all.
_MEMORY_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredImage:
    name: str
    media_type: str
    width: int
    height: int
    data: bytes


def image_path(name: str) -> str:
    """Where an image is served on this app (prefix the base URL for Discord)."""
    return f"/images/{name}"


class ImageStore:
    def __init__(self, *, db: Database, queue: JobQueue, clock: Clock) -> None:
        self.db = db
        self.queue = queue
        self.clock = clock
        self._recent: OrderedDict[str, StoredImage] = OrderedDict()
        self._recent_bytes = 0

    async def prepare(self, data: bytes, kind: ImageKind) -> PreparedImage:
        """Check and downscale an upload (in a thread: decoding must not stall the event loop)."""
        return await asyncio.to_thread(prepare_image, data, kind)

    async def keep(self, session: AsyncSession, image: PreparedImage) -> str:
        """Store ``image`` (once per content) in the caller's transaction; returns its name. Call it in the
        transaction that points a row at the image, so the sweep never sees it unused in between."""
        now = self.clock.now()
        await session.execute(
            insert(StoredImageRow)
            .values(
                name=image.name,
                media_type=image.media_type,
                width=image.width,
                height=image.height,
                data=image.data,
                created_at=now,
                last_used_at=now,
            )
            .on_conflict_do_update(index_elements=["name"], set_={"last_used_at": now})
        )
        return image.name

    async def reuse(self, session: AsyncSession, name: str) -> str | None:
        """Point another row at an image already stored (a clone's): its name, marked used now; None when
        there is no such image (swept, or a name that never was one)."""
        if not _NAME.fullmatch(name):
            return None
        found = await session.scalar(
            update(StoredImageRow)
            .where(StoredImageRow.name == name)
            .values(last_used_at=self.clock.now())
            .returning(StoredImageRow.name)
        )
        return found

    async def let_go(self, session: AsyncSession) -> None:
        """A row stopped pointing at an image: sweep after the grace period (one pending sweep at a time)."""
        await self.queue.enqueue(
            session, SWEEP, {}, due_at=self.clock.now() + GRACE, dedupe_key=_SWEEP_KEY, replace=False
        )

    async def read(self, name: str) -> StoredImage | None:
        if (hit := self._recent.get(name)) is not None:
            self._recent.move_to_end(name)
            return hit
        # Images belong to no guild (they are public by their hash): no guild to name.
        async with self.db.uow(bypass_rls=True) as uow:
            row = await uow.session.scalar(select(StoredImageRow).where(StoredImageRow.name == name))
        if row is None:
            return None
        image = StoredImage(row.name, row.media_type, row.width, row.height, row.data)
        self._remember(image)
        return image

    def _remember(self, image: StoredImage) -> None:
        if image.name in self._recent or len(image.data) > _MEMORY_BYTES // 4:
            return
        self._recent[image.name] = image
        self._recent_bytes += len(image.data)
        while self._recent_bytes > _MEMORY_BYTES:
            _, dropped = self._recent.popitem(last=False)
            self._recent_bytes -= len(dropped.data)

    def _forget(self, name: str) -> None:
        if (dropped := self._recent.pop(name, None)) is not None:
            self._recent_bytes -= len(dropped.data)

    async def sweep_job(self, job: Job) -> None:
        await self.sweep()

    async def sweep(self) -> int:
        """Delete the images no row points at and nobody uploaded within the grace period; how many."""
        cutoff = self.clock.now() - GRACE
        try:
            async with self.db.uow(bypass_rls=True) as uow:
                users = await uow.session.execute(text(_USERS))
                unused = " ".join(
                    f"AND NOT EXISTS (SELECT 1 FROM {table} u WHERE u.{column} = i.name)"
                    for table, column in users.all()
                )
                result = await uow.session.execute(
                    text(f"DELETE FROM images i WHERE i.last_used_at < :cutoff {unused} RETURNING i.name"),
                    {"cutoff": cutoff},
                )
                deleted = [row[0] for row in result.all()]
        except IntegrityError:
            # A row took one of them while we were deleting: the foreign key kept it; try again later.
            async with self.db.uow(bypass_rls=True) as uow:
                await self.let_go(uow.session)
            return 0
        for name in deleted:
            self._forget(name)
        log.info("images_swept", deleted=len(deleted))
        return len(deleted)


#: Every (table, column) with a foreign key to images.name, as SQL (PostgreSQL quotes both as needed).
_USERS = """
SELECT c.conrelid::regclass::text, quote_ident(a.attname)
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
WHERE c.contype = 'f' AND c.confrelid = 'images'::regclass
ORDER BY 1, 2
"""
