"""Finished jobs are purged after the retention period by a self-rescheduling job."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from gamesched.core.claims import KEEP_CLAIMS
from gamesched.core.clock import FakeClock
from gamesched.core.housekeeping import KEEP_DONE, PURGE, PURGE_EVERY, QueueHousekeeping
from tests.core.conftest import QueueKit


async def test_old_done_jobs_are_purged_and_dead_or_recent_ones_kept(kit: QueueKit, clock: FakeClock) -> None:
    housekeeping = QueueHousekeeping(db=kit.db, queue=kit.queue)
    await housekeeping.schedule()
    await housekeeping.schedule()  # several processes starting: still one pending purge
    assert await kit.count(f"kind = '{PURGE}' AND state = 'pending'") == 1

    old = clock.now() - KEEP_DONE - timedelta(hours=1)
    recent = clock.now() - timedelta(hours=1)
    async with kit.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO jobs (kind, state, finished_at) VALUES"
                " ('old', 'done', :old), ('recent', 'done', :recent), ('broken', 'dead', :old)"
            ),
            {"old": old, "recent": recent},
        )
    clock.advance(PURGE_EVERY)
    assert await kit.dispatcher().run_due() == 1

    async with kit.engine.connect() as conn:
        kinds = set(
            (await conn.execute(text("SELECT kind FROM jobs WHERE kind <> :p"), {"p": PURGE})).scalars()
        )
    assert kinds == {"recent", "broken"}
    assert await kit.count(f"kind = '{PURGE}' AND state = 'pending'") == 1, "the next purge is scheduled"


async def test_interaction_claims_older_than_an_hour_are_purged(kit: QueueKit, clock: FakeClock) -> None:
    housekeeping = QueueHousekeeping(db=kit.db, queue=kit.queue)
    await housekeeping.schedule()
    clock.advance(PURGE_EVERY)
    async with kit.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO interaction_claims (interaction_id, claimed_at) VALUES (1, :old), (2, :recent)"
            ),
            {
                "old": clock.now() - KEEP_CLAIMS - timedelta(seconds=1),
                "recent": clock.now() - timedelta(minutes=5),
            },
        )
    assert await kit.dispatcher().run_due() == 1

    async with kit.engine.connect() as conn:
        left = set((await conn.execute(text("SELECT interaction_id FROM interaction_claims"))).scalars())
    assert left == {2}
