"""Games: scheduling, the roster and its waitlist, and the JSON API."""

from gamesched.games.api import GameController, game_routes
from gamesched.games.events import (
    ALL_EVENTS,
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
    RosterReordered,
    WaitlistDemoted,
    WaitlistPromoted,
)
from gamesched.games.ics import render_calendar
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
)
from gamesched.games.service import GameService

__all__ = [
    "ALL_EVENTS",
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
    "Roster",
    "RosterReordered",
    "SignupMethod",
    "WaitlistDemoted",
    "WaitlistPromoted",
    "diff_rosters",
    "game_routes",
    "partition_roster",
    "render_calendar",
]
