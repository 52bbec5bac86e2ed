"""Request and response shapes of recurring games (a series and its occurrences)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from gamesched.core.inputs import Snowflake
from gamesched.games.schemas import (
    AwareDatetime,
    Description,
    Duration,
    GameCreate,
    Instructions,
    Location,
    MaxPlayers,
    Reminders,
    RoleIds,
    SignupMethodName,
    Title,
)

Rule = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=500,
        description=(
            "An RFC 5545 RRULE value, expanded on local times in `time_zone` from the first start: "
            "`FREQ=WEEKLY;BYDAY=TU`, `FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH`, `FREQ=MONTHLY;BYDAY=+3TH` (3rd "
            "Thursday), `FREQ=MONTHLY;BYDAY=-1FR` (last Friday), `FREQ=MONTHLY;BYMONTHDAY=15`; end it with "
            "`COUNT=10` or `UNTIL=20270630`. No BYHOUR/BYMINUTE/BYSECOND: the time is the start's."
        ),
        examples=["FREQ=WEEKLY;BYDAY=TU"],
    ),
]
LeadMinutes = Annotated[
    int,
    Meta(
        ge=0,
        le=60 * 24 * 60,
        description="Make and announce each game this many minutes before it starts (null: when the "
        "previous game of the series is over).",
        examples=[4320],
    ),
]
#: Three days: a week's game is announced on the weekend before.
DEFAULT_LEAD_MINUTES = 3 * 24 * 60
Zone = Annotated[str, Meta(max_length=64, description="An IANA time zone.", examples=["Europe/Berlin"])]
OccurrenceStatus = Literal[
    "planned", "skipped", "scheduled", "in_progress", "completed", "cancelled", "archived"
]


class SeriesCreate(GameCreate, kw_only=True, forbid_unknown_fields=True):
    """A game that repeats: the game's fields (``scheduled_at`` is the first start), the rule and when each
    game is made. ``time_zone`` is the zone the rule repeats in (default: the host's, else UTC)."""

    rrule: Rule
    lead_minutes: LeadMinutes | None = DEFAULT_LEAD_MINUTES
    #: Confirmed players of a game join the next one directly.
    carry_roster: bool = False


class SeriesUpdate(Struct, kw_only=True, forbid_unknown_fields=True):
    """Edit the whole series: absent fields stay. Applies to the games not made yet, and to those made and
    still ahead that were not moved on their own."""

    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    duration_minutes: Duration | UnsetType | None = UNSET
    max_players: MaxPlayers | UnsetType | None = UNSET
    reminder_minutes: Reminders | UnsetType | None = UNSET
    signup_instructions: Instructions | UnsetType | None = UNSET
    location: Location | UnsetType = UNSET
    signup_method: SignupMethodName | UnsetType = UNSET
    player_role_ids: RoleIds | UnsetType | None = UNSET
    priority_role_ids: RoleIds | UnsetType = UNSET
    notify_role_ids: RoleIds | UnsetType = UNSET
    channel_id: Snowflake | UnsetType = UNSET
    rrule: Rule | UnsetType = UNSET
    #: A new first start: its local time of day becomes the series' time.
    scheduled_at: AwareDatetime | UnsetType = UNSET
    time_zone: Zone | UnsetType = UNSET
    lead_minutes: LeadMinutes | UnsetType | None = UNSET
    carry_roster: bool | UnsetType = UNSET
    expected_version: Annotated[int, Meta(ge=1)] | None = None


class OccurrencePick(Struct, kw_only=True, forbid_unknown_fields=True):
    """One occurrence, named by its start by the rule (``recurrence_id`` in the series' answer)."""

    occurrence: AwareDatetime
    #: Skip: told to the players when the game was made already (it is cancelled).
    reason: Annotated[str, Meta(max_length=500)] = ""


class OccurrenceMove(Struct, kw_only=True, forbid_unknown_fields=True):
    """Move one occurrence; the series is unchanged. One not made yet is made now, at its new time."""

    occurrence: AwareDatetime
    scheduled_at: AwareDatetime


class OccurrenceView(Struct, kw_only=True):
    #: The occurrence's start by the rule (UTC): its name in skip and move.
    recurrence_id: datetime
    scheduled_at: datetime
    #: ``planned``: not made yet; ``skipped``; else the game's status.
    status: OccurrenceStatus
    game_id: str | None = None
    moved: bool = False
    #: When the game will be made and announced (planned ones with a lead time).
    creates_at: datetime | None = None


class SeriesView(Struct, kw_only=True):
    id: str
    guild_id: str
    channel_id: str
    host_id: str
    title: str
    rrule: str
    #: The rule in words: "Every week on Tuesday at 19:00".
    summary: str
    time_zone: str
    #: The first start (the rule's DTSTART).
    starts_at: datetime
    lead_minutes: int | None
    carry_roster: bool
    status: Literal["active", "ended"]
    version: int
    can_manage: bool = False
    #: The next occurrences from now (made or not), soonest first.
    upcoming: list[OccurrenceView] = []


class SeriesSummary(Struct, kw_only=True):
    """A series in a server's list."""

    id: str
    title: str
    summary: str
    time_zone: str
    channel_id: str
    host_id: str
    #: The next occurrence not skipped (made or not); null when the rule has ended.
    next_at: datetime | None = None


class SeriesList(Struct, kw_only=True):
    items: list[SeriesSummary]


class SeriesPreview(Struct, kw_only=True, forbid_unknown_fields=True):
    """What a rule would give, without saving anything."""

    rrule: Rule
    scheduled_at: AwareDatetime
    time_zone: Zone = "UTC"


class SeriesPreviewView(Struct, kw_only=True):
    summary: str
    occurrences: list[datetime]


class SeriesOccurrence(Struct, kw_only=True, frozen=True):
    """One occurrence of a series someone hosts (``GameSeriesService.upcoming_for_host``)."""

    series_id: str
    guild_id: str
    title: str
    recurrence_id: datetime
    #: The game's time when it was made (it may have been moved), else the rule's.
    scheduled_at: datetime
    duration_minutes: int | None
    #: None until the game is made.
    game_id: str | None
