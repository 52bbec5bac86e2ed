"""Games: scheduling, the roster and its waitlist, announcements, the JSON API and pages.

Other modules use only the names below and the events; ``register`` plugs the module into the app.
"""

from gamesched.games.announcer import Announcer
from gamesched.games.api import GameController, game_routes
from gamesched.games.events import (
    ALL_EVENTS,
    AnnouncementBlocked,
    AnnouncementPingsMissed,
    AnnouncementReposted,
    AnnouncementUnblocked,
    ConfirmationAsked,
    ConfirmationLapsed,
    GameCancelled,
    GameEvent,
    GameScheduled,
    GameStatusChanged,
    GameUpdated,
    HostAddedPlayerLeft,
    PlayerAdded,
    PlayerJoined,
    PlayerLeft,
    PlayerRemoved,
    ReminderDue,
    RewardsWanted,
    RosterReordered,
    SeatConfirmed,
    WaitlistDemoted,
    WaitlistPromoted,
)
from gamesched.games.ics import render_calendar
from gamesched.games.module import register
from gamesched.games.roster import PositionType, Roster, SignupMethod, diff_rosters, partition_roster
from gamesched.games.schemas import (
    GameCreate,
    GameList,
    GameUpdate,
    GameView,
    ParticipantAdd,
    ParticipantOrder,
    ParticipantReplace,
    ParticipantView,
    Person,
    RewardsUpdate,
)
from gamesched.games.seats import SeatNow, seats_now
from gamesched.games.series_schemas import SeriesOccurrence
from gamesched.games.service import GameService
from gamesched.games.views import confirmation_components

__all__ = [
    "ALL_EVENTS",
    "AnnouncementBlocked",
    "AnnouncementPingsMissed",
    "AnnouncementReposted",
    "AnnouncementUnblocked",
    "Announcer",
    "ConfirmationAsked",
    "ConfirmationLapsed",
    "GameCancelled",
    "GameController",
    "GameCreate",
    "GameEvent",
    "GameList",
    "GameScheduled",
    "GameService",
    "GameStatusChanged",
    "GameUpdate",
    "GameUpdated",
    "GameView",
    "HostAddedPlayerLeft",
    "ParticipantAdd",
    "ParticipantOrder",
    "ParticipantReplace",
    "ParticipantView",
    "Person",
    "PlayerAdded",
    "PlayerJoined",
    "PlayerLeft",
    "PlayerRemoved",
    "PositionType",
    "ReminderDue",
    "RewardsUpdate",
    "RewardsWanted",
    "Roster",
    "RosterReordered",
    "SeatConfirmed",
    "SeatNow",
    "SeriesOccurrence",
    "SignupMethod",
    "WaitlistDemoted",
    "WaitlistPromoted",
    "confirmation_components",
    "diff_rosters",
    "game_routes",
    "partition_roster",
    "register",
    "render_calendar",
    "seats_now",
]
