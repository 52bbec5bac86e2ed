"""The facts the games module publishes, as subscribers (the bot, reminders) receive them through the bus."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from gamesched.app import App
from gamesched.games import (
    ALL_EVENTS,
    GameCancelled,
    GameEvent,
    GameScheduled,
    GameUpdated,
    HostAddedPlayerLeft,
    PlayerAdded,
    PlayerJoined,
    PlayerLeft,
    PlayerRemoved,
    RosterReordered,
    WaitlistDemoted,
    WaitlistPromoted,
)
from tests.games.conftest import Login, create_game
from tests.world import World


class Recorder:
    def __init__(self) -> None:
        self.events: list[GameEvent] = []

    async def record(self, event: GameEvent) -> None:
        self.events.append(event)

    def of(self, kind: type[GameEvent]) -> list[GameEvent]:
        return [e for e in self.events if isinstance(e, kind)]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 10) -> None:
        for _ in range(int(within / 0.02)):
            if predicate():
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"events not delivered; got {[type(e).__name__ for e in self.events]}")


@pytest.fixture
def recorder(games_app: App) -> Recorder:
    recorder = Recorder()
    for kind in ALL_EVENTS:
        games_app.bus.subscribe(kind, recorder.record, name=f"test_recorder_{id(recorder)}")
    return recorder


async def test_roster_changes_publish_joins_promotions_demotions_and_host_notices(
    world: World, login: Login, recorder: Recorder
) -> None:
    alice = await login("alice")
    game = await create_game(alice, world, max_players=2, initial_participants=["@bob", "Reserved"])
    path = f"/api/v1/games/{game['id']}"
    dave, erin, bob = await login("dave"), await login("erin"), await login("bob")
    await dave.post(f"{path}/join")  # waitlisted #1
    await erin.post(f"{path}/join")  # waitlisted #2
    await bob.post(f"{path}/leave")  # host-added bob drops out: dave promoted
    await alice.patch(path, json={"max_players": 1})  # dave demoted
    placeholder = next(p["id"] for p in game["participants"] if p["discord_id"] is None)
    await alice.delete(f"{path}/participants/{placeholder}")  # dave promoted again
    await alice.post(f"{path}/participants", json={"mention": "@erin"})  # erin selected: dave demoted
    await alice.delete(path)

    await recorder.wait_for(lambda: bool(recorder.of(GameCancelled)))
    await asyncio.sleep(0.2)
    gid, dave_id, erin_id, bob_id = (
        world.guild_id(),
        world.user_id("dave"),
        world.user_id("erin"),
        world.user_id("bob"),
    )
    scheduled = recorder.of(GameScheduled)
    assert len(scheduled) == 1 and scheduled[0].participant_ids == (bob_id,)
    assert all(e.game_id == game["id"] and e.guild_id == gid for e in recorder.events)
    # Each event is its own queue job, so subscribers see them in no promised order: compare as multisets.
    assert sorted((e.position, e.user_id, e.status) for e in recorder.of(PlayerJoined)) == [  # type: ignore[attr-defined]
        (1, dave_id, "waitlisted"),
        (2, erin_id, "waitlisted"),
    ]
    assert [(e.user_id, e.status) for e in recorder.of(PlayerLeft)] == [(bob_id, "confirmed")]  # type: ignore[attr-defined]
    assert [(e.host_id, e.user_id) for e in recorder.of(HostAddedPlayerLeft)] == [  # type: ignore[attr-defined]
        (world.user_id("alice"), bob_id)
    ]
    assert sorted(e.user_id for e in recorder.of(WaitlistPromoted)) == sorted([dave_id, dave_id, erin_id])  # type: ignore[attr-defined]
    assert [e.user_id for e in recorder.of(WaitlistDemoted)] == [dave_id, dave_id]  # type: ignore[attr-defined]
    assert [e.changed for e in recorder.of(GameUpdated)] == [("max_players",)]  # type: ignore[attr-defined]
    removed = recorder.of(PlayerRemoved)
    assert [(e.user_id, e.placeholder) for e in removed] == [(None, "Reserved")]  # type: ignore[attr-defined]
    assert recorder.of(RosterReordered), "selecting a waiting player re-orders the roster"
    assert not recorder.of(PlayerAdded), "erin was already on the roster"
    cancelled = recorder.of(GameCancelled)[0]
    assert set(cancelled.participant_ids) == {dave_id, erin_id}  # type: ignore[attr-defined]
