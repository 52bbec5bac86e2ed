"""Facts the games module publishes. Ids are ints (game ids are uuid strings); no names, no rows.

Handlers are at-least-once: they should re-read the game when they need more than these fields.
Placeholders never get promotion/demotion events (there is nobody to tell).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from gamesched.core.bus import Event

SeatStatus = Literal["confirmed", "waitlisted"]


class GameEvent(Event, frozen=True, kw_only=True):
    game_id: str
    guild_id: int
    channel_id: int


class GameScheduled(GameEvent, frozen=True, kw_only=True):
    host_id: int
    scheduled_at: datetime
    #: Real members placed on the roster at creation (placeholders excluded).
    participant_ids: tuple[int, ...] = ()


class GameUpdated(GameEvent, frozen=True, kw_only=True):
    by_user_id: int
    #: Names of the game fields that changed (e.g. "scheduled_at", "max_players", "channel_id").
    changed: tuple[str, ...]
    #: Set when the game moved to another channel: the old announcement lives there.
    previous_channel_id: int | None = None
    message_id: int | None = None


class GameCancelled(GameEvent, frozen=True, kw_only=True):
    by_user_id: int
    host_id: int
    message_id: int | None = None
    #: Real members on the roster when it was cancelled, to tell them.
    participant_ids: tuple[int, ...] = ()
    #: The host's reason, as given (empty when none was).
    reason: str = ""


class GameStatusChanged(GameEvent, frozen=True, kw_only=True):
    """The game started (in_progress), ended (completed) or was archived, on its schedule."""

    status: str
    previous: str
    message_id: int | None = None


class RewardsWanted(GameEvent, frozen=True, kw_only=True):
    """The game completed with no rewards set and its host asked to be reminded to fill them in."""

    host_id: int


class PlayerJoined(GameEvent, frozen=True, kw_only=True):
    user_id: int
    status: SeatStatus
    position: int


class PlayerLeft(GameEvent, frozen=True, kw_only=True):
    user_id: int
    #: The seat they gave up.
    status: SeatStatus


class PlayerAdded(GameEvent, frozen=True, kw_only=True):
    """The host put someone (or a placeholder) on the roster, or replaced a placeholder with a member."""

    by_user_id: int
    participant_id: str
    user_id: int | None
    placeholder: str | None
    status: SeatStatus
    position: int
    replaced_placeholder: str | None = None


class PlayerRemoved(GameEvent, frozen=True, kw_only=True):
    by_user_id: int
    participant_id: str
    user_id: int | None
    placeholder: str | None
    status: SeatStatus


class RosterReordered(GameEvent, frozen=True, kw_only=True):
    """The host changed the order (or selected someone from the waitlist); seat changes come separately."""

    by_user_id: int


class WaitlistPromoted(GameEvent, frozen=True, kw_only=True):
    user_id: int
    position: int


class WaitlistDemoted(GameEvent, frozen=True, kw_only=True):
    user_id: int
    #: Their place on the waitlist now (1-based).
    position: int


class HostAddedPlayerLeft(GameEvent, frozen=True, kw_only=True):
    """A player the host had added dropped out: the host wants to know."""

    host_id: int
    user_id: int


class ConfirmationAsked(GameEvent, frozen=True, kw_only=True):
    """A player carried over from another game (a clone) holds a place that waits for them to confirm it by
    ``confirm_by``; unconfirmed by then, it is given up."""

    user_id: int
    host_id: int
    status: SeatStatus
    position: int
    confirm_by: datetime


class SeatConfirmed(GameEvent, frozen=True, kw_only=True):
    """A carried-over player confirmed their place: it is no longer pending."""

    user_id: int


class ConfirmationLapsed(GameEvent, frozen=True, kw_only=True):
    """A carried-over player did not confirm by the deadline: their place was given up."""

    user_id: int
    #: The place they lost.
    status: SeatStatus


class ReminderDue(GameEvent, frozen=True, kw_only=True):
    """A reminder of the game comes due (``minutes`` before the start), at ``at``: published a little ahead
    (``REMINDER_LEAD``) so that its DMs are ready by then. Published without reading the game: handlers check
    that it is still scheduled and ahead when they run."""

    minutes: int
    #: When the reminder's DMs go out (None: at once; events published before they carried the moment).
    at: datetime | None = None


class AnnouncementReposted(GameEvent, frozen=True, kw_only=True):
    """The announcement was deleted by hand and posted again: the host should know where it is now."""

    host_id: int
    message_id: int


class AnnouncementBlocked(GameEvent, frozen=True, kw_only=True):
    """Discord refused to post (or edit) the announcement for want of permissions in its channel. Published
    when the problem starts or changes, not at every refused retry."""

    host_id: int
    #: What the bot lacks there (view_channel, send_messages, embed_links, read_message_history); empty
    #: when its cache could not tell.
    missing: tuple[str, ...]
    #: The post that could not be updated; None when there is none yet.
    message_id: int | None = None


class AnnouncementPingsMissed(GameEvent, frozen=True, kw_only=True):
    """The announcement was posted, but Discord did not ping some of its notify roles (or @everyone): the role
    is not mentionable and the bot may not mention everyone there. The host should know before the game."""

    host_id: int
    message_id: int
    role_ids: tuple[int, ...] = ()
    everyone: bool = False


class AnnouncementUnblocked(GameEvent, frozen=True, kw_only=True):
    """The announcement went through again after an ``AnnouncementBlocked``."""

    message_id: int


#: Whether the game's announcement is in trouble: its page shows it (no announcement refresh needed).
ANNOUNCEMENT_STATE_EVENTS: tuple[type[GameEvent], ...] = (AnnouncementBlocked, AnnouncementUnblocked)

#: Events that change what a game looks like (its announcement and open pages follow them).
ALL_EVENTS: tuple[type[GameEvent], ...] = (
    GameScheduled,
    GameUpdated,
    GameCancelled,
    GameStatusChanged,
    PlayerJoined,
    PlayerLeft,
    PlayerAdded,
    PlayerRemoved,
    RosterReordered,
    WaitlistPromoted,
    WaitlistDemoted,
    HostAddedPlayerLeft,
    ConfirmationAsked,
    SeatConfirmed,
    ConfirmationLapsed,
)
