"""Open game pages follow changes: every game event (and a change in the announcement's trouble) signals the
topic ``game:{id}`` on the live hub."""

from __future__ import annotations

from gamesched.core.live import LiveHub
from gamesched.core.modules import Subscription
from gamesched.games.events import ALL_EVENTS, ANNOUNCEMENT_STATE_EVENTS, GameEvent


def topic(game_id: str) -> str:
    """The live-hub topic an open page of the game listens on."""
    return f"game:{game_id}"


#: Events handled together: a storm of clicks on one game is one signal to its open pages.
EVENT_BATCH = 100


def live_update_subscriptions(live: LiveHub) -> list[Subscription]:
    async def signal_open_pages(events: list[GameEvent]) -> None:
        await live.publish_many([topic(game_id) for game_id in dict.fromkeys(e.game_id for e in events)])

    return [
        Subscription(event, signal_open_pages, batch_size=EVENT_BATCH)
        for event in (*ALL_EVENTS, *ANNOUNCEMENT_STATE_EVENTS)
    ]
