"""Advisory locks across processes: two AdvisoryLocks on one database stand for two processes."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched.app import asyncpg_dsn
from gamesched.core.locks import AdvisoryLocks


async def test_holders_of_one_name_never_overlap_across_processes(engine: AsyncEngine) -> None:
    first, second = AdvisoryLocks(asyncpg_dsn(engine)), AdvisoryLocks(asyncpg_dsn(engine))
    inside = 0
    most = 0
    entered = 0

    async def work(locks: AdvisoryLocks) -> None:
        nonlocal inside, most, entered
        async with locks.hold("announce:game-1"):
            inside += 1
            entered += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    try:
        await asyncio.gather(*(work(locks) for _ in range(10) for locks in (first, second)))
    finally:
        await first.close()
        await second.close()
    assert (entered, most) == (20, 1)


async def test_other_names_do_not_wait_and_a_dead_process_releases_its_locks(engine: AsyncEngine) -> None:
    first, second = AdvisoryLocks(asyncpg_dsn(engine)), AdvisoryLocks(asyncpg_dsn(engine))
    try:
        holding = first.hold("announce:a")
        await holding.__aenter__()
        async with asyncio.timeout(2), second.hold("announce:b"):
            pass  # another game's lock is free

        waiting = asyncio.create_task(_enter_and_leave(second, "announce:a"))
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the other process waits while the lock is held"
        await first.close()  # the process dies: PostgreSQL releases what its connection held
        await asyncio.wait_for(waiting, 5)
        await holding.__aexit__(None, None, None)  # giving back a lock of a closed connection is harmless
    finally:
        await first.close()
        await second.close()


async def _enter_and_leave(locks: AdvisoryLocks, name: str) -> None:
    async with locks.hold(name):
        pass
