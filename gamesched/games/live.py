"""Open game pages follow changes: every game event signals the topic ``game:{id}`` on the live hub."""

from __future__ import annotations

from gamesched.core.bus import EventBus
from gamesched.core.live import LiveHub
from gamesched.games.events import ALL_EVENTS, GameEvent


def topic(game_id: str) -> str:
    return f"game:{game_id}"


def publish_live_updates(bus: EventBus, live: LiveHub) -> None:
    async def signal_open_pages(event: GameEvent) -> None:
        await live.publish(topic(event.game_id))

    for event_type in ALL_EVENTS:
        bus.subscribe(event_type, signal_open_pages)
