"""Who was told: after a host's change (edit, roster change, cancel), how many people the change DMs, and the
one sentence that says so.

The games module does not send DMs (notifications reacts to its events), so it asks: the notifications
module fills the ``Audience`` port with the same rules its DM handlers follow, and the use cases count, right
after the change is committed, the people the events of that change DM. Without notifications (a test of the
service alone) nobody counts, and nothing is said about telling.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from gamesched.games.events import GameEvent
from gamesched.games.schemas import GameView

#: The changes of a game worth a DM to its players, and the word for each.
NEWS = (("scheduled_at", "time"), ("location", "place"), ("channel_id", "channel"))


class Audience(Protocol):
    async def told(self, game: GameView, events: Sequence[GameEvent]) -> set[int]:
        """The people the DMs caused by ``events`` (about ``game`` as it is now) go to."""
        ...


class Telling:
    """The ``Audience`` slot every use case shares; the notifications module fills it (``use``)."""

    def __init__(self) -> None:
        self.audience: Audience | None = None

    def use(self, audience: Audience) -> None:
        self.audience = audience

    async def count(self, game: GameView, events: Sequence[GameEvent]) -> int | None:
        if self.audience is None:
            return None
        return len(await self.audience.told(game, events))


def told_sentence(done: str, told: int | None, about: str = "") -> str:
    """'Saved — 3 people were told about the new time.'; ``about`` e.g. ' about the new time'."""
    if told is None:
        return f"{done}."
    if told == 0:
        return f"{done} — no one needed telling."
    who = "1 person was" if told == 1 else f"{told} people were"
    return f"{done} — {who} told{about}."


def change_topic(changed: Sequence[str]) -> str:
    """What an edit's DMs were about, for ``told_sentence`` (" about the new time and place")."""
    news = [word for name, word in NEWS if name in changed]
    if not news:
        return ""
    listed = news[0] if len(news) == 1 else f"{', '.join(news[:-1])} and {news[-1]}"
    return f" about the new {listed}"
