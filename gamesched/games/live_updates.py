"""Open game pages follow changes: every game event (and a change in the announcement's trouble) signals the
topic ``game:{id}`` on the live hub."""

from __future__ import annotations

from gamesched.core.live import LiveHub
from gamesched.core.modules import Subscription
from gamesched.games.events import ALL_EVENTS, ANNOUNCEMENT_STATE_EVENTS, GameEvent


def topic(game_id: str) -> str:
    """The live-hub topic an open page of the game listens on."""
    return f"game:{game_id}"


def live_update_subscriptions(live: LiveHub) -> list[Subscription]:
    async def signal_open_pages(event: GameEvent) -> None:
        await live.publish(topic(event.game_id))

    return [Subscription(event, signal_open_pages) for event in (*ALL_EVENTS, *ANNOUNCEMENT_STATE_EVENTS)]
