"""Interaction claims: of several processes asking for the same interaction, exactly one gets it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from gamesched.core.claims import InteractionClaims
from gamesched.core.clock import FakeClock
from gamesched.core.db import create_engine, use_app_role

CLAIMS = 3000


@pytest.fixture
async def two_processes(database_url: str, clock: FakeClock) -> AsyncIterator[list[InteractionClaims]]:
    """Two claimers on engines of their own, as two processes have."""
    claimers = []
    for _ in range(2):
        engine = create_engine(database_url, pool_size=1, pre_ping=False)
        await use_app_role(engine)
        claimers.append(InteractionClaims(engine=engine, clock=clock))
    yield claimers
    for claimer in claimers:
        await claimer.close()


async def test_each_interaction_is_won_by_exactly_one_of_two_processes_claiming_at_once(
    two_processes: list[InteractionClaims],
) -> None:
    first, second = two_processes
    ids = list(range(1_300_000_000_000_000_000, 1_300_000_000_000_000_000 + CLAIMS))
    # Opposite orders: statements that took their ids as they came would deadlock on the common ones.
    won_first, won_second = await asyncio.gather(
        asyncio.gather(*(first.claim(i) for i in ids)),
        asyncio.gather(*(second.claim(i) for i in reversed(ids))),
    )
    assert [a + b for a, b in zip(won_first, reversed(won_second), strict=True)] == [1] * CLAIMS


async def test_an_interaction_claimed_by_another_process_is_not_answered_here(
    two_processes: list[InteractionClaims], database_url: str
) -> None:
    first, second = two_processes
    assert await first.claim(42) is True
    assert await second.claim(42) is False
    assert await first.claim(42) is False, "a second delivery to the same process is not answered again"
    assert await second.claim(43) is True


async def test_claims_say_answer_when_the_database_cannot_be_reached(clock: FakeClock) -> None:
    """Answering from every process (Discord refuses all but one) beats "This interaction failed"."""
    engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none", pool_size=1, pre_ping=False)
    claims = InteractionClaims(engine=engine, clock=clock)
    try:
        assert await claims.claim(7) is True
    finally:
        await claims.close()


async def test_claims_are_stamped_with_the_injected_clock(
    two_processes: list[InteractionClaims], database_url: str, clock: FakeClock
) -> None:
    await two_processes[0].claim(99)
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            stamped = (
                await conn.execute(
                    text("SELECT claimed_at FROM interaction_claims WHERE interaction_id = 99")
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    assert stamped == clock.now()
