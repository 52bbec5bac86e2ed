"""Events ride on the unit of work: delivered once per subscriber after commit, never after rollback."""

from __future__ import annotations

import pytest

from gamesched.core.bus import Event
from gamesched.core.clock import FakeClock
from tests.core.conftest import QueueKit


class GameScheduled(Event, frozen=True, kw_only=True):
    game_id: int
    guild_id: int


class PlayerJoined(Event, frozen=True, kw_only=True):
    game_id: int
    user_id: int


async def test_committed_event_reaches_every_subscriber_once(kit: QueueKit) -> None:
    announced: list[GameScheduled] = []
    indexed: list[int] = []

    async def post_announcement(event: GameScheduled) -> None:
        announced.append(event)

    async def index_game(event: GameScheduled) -> None:
        indexed.append(event.game_id)

    kit.bus.subscribe(GameScheduled, post_announcement)
    kit.bus.subscribe(GameScheduled, index_game)
    published = GameScheduled(game_id=7, guild_id=10)
    async with kit.db.uow(guild_id=10) as uow:
        uow.publish(published)

    assert await kit.dispatcher().run_due() == 2
    assert announced == [published], "the same fact, event id included"
    assert indexed == [7]


def test_each_occurrence_gets_its_own_event_id() -> None:
    assert GameScheduled(game_id=1, guild_id=2).event_id != GameScheduled(game_id=1, guild_id=2).event_id


async def test_events_of_a_rolled_back_transaction_are_never_delivered(kit: QueueKit) -> None:
    delivered: list[PlayerJoined] = []

    async def send_join_dm(event: PlayerJoined) -> None:
        delivered.append(event)

    kit.bus.subscribe(PlayerJoined, send_join_dm)
    with pytest.raises(RuntimeError):
        async with kit.db.uow(guild_id=1) as uow:
            uow.publish(PlayerJoined(game_id=1, user_id=2))
            raise RuntimeError("the join failed after publishing")

    assert await kit.count() == 0
    assert await kit.dispatcher().run_due() == 0
    assert delivered == []


async def test_event_without_subscribers_writes_nothing(kit: QueueKit) -> None:
    async with kit.db.uow() as uow:
        uow.publish(PlayerJoined(game_id=1, user_id=2))
    assert await kit.count() == 0


def test_subscribing_the_same_handler_twice_is_refused(kit: QueueKit) -> None:
    async def send_join_dm(event: PlayerJoined) -> None: ...

    kit.bus.subscribe(PlayerJoined, send_join_dm)
    with pytest.raises(ValueError, match="already registered"):
        kit.bus.subscribe(PlayerJoined, send_join_dm)


async def test_a_batch_subscriber_gets_the_events_due_together_in_publishing_order(
    kit: QueueKit, clock: FakeClock
) -> None:
    """A storm of joins is a few handler calls, not one each; a failing batch is tried again whole."""
    batches: list[list[int]] = []
    failures = [RuntimeError("the database went away")]

    async def refresh_pages(events: list[PlayerJoined]) -> None:
        if failures:
            raise failures.pop()
        batches.append([event.user_id for event in events])

    kit.bus.subscribe_batch(PlayerJoined, refresh_pages, batch_size=5)
    for first in (0, 3, 6):  # three transactions: 3 + 3 + 1 events
        async with kit.db.uow(guild_id=1) as uow:
            for user_id in range(first, min(first + 3, 7)):
                uow.publish(PlayerJoined(game_id=1, user_id=user_id))

    await kit.dispatcher(concurrency=1).run_due()
    assert batches == [[5, 6]], "the first batch failed and waits for its retry; the second went through"
    assert await kit.count("state = 'pending' AND attempts = 1") == 5

    clock.advance(minutes=1)
    await kit.dispatcher(concurrency=1).run_due()
    assert batches[0] == [5, 6] and sorted(batches[1]) == [0, 1, 2, 3, 4]  # retries are due at jittered times
    assert await kit.count("state = 'pending'") == 0
