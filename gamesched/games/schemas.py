"""Request and response shapes of the games API (msgspec). Discord ids are strings; times are ISO 8601."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from gamesched.core.inputs import SNOWFLAKE_EXAMPLE, Snowflake

Title = Annotated[str, Meta(min_length=1, max_length=200, examples=["Gloomhaven: scenario 12"])]
Description = Annotated[str, Meta(max_length=2000, examples=["Bring snacks. New players welcome."])]
Instructions = Annotated[
    str, Meta(max_length=1000, description="Signup instructions / rules.", examples=["Read the rules first."])
]
Location = Annotated[
    str, Meta(max_length=500, description="Where the game happens.", examples=["#rpg voice"])
]
MaxPlayers = Annotated[int, Meta(ge=1, le=100, examples=[6])]
Duration = Annotated[int, Meta(ge=1, le=1440, description="Expected duration in minutes.", examples=[180])]
ReminderMinute = Annotated[int, Meta(ge=1, le=10080)]
Reminders = Annotated[
    list[ReminderMinute],
    Meta(max_length=10, description="Minutes before the start to send reminders.", examples=[[60, 15]]),
]
AwareDatetime = Annotated[
    datetime,
    Meta(tz=True, description="ISO 8601 with a UTC offset.", examples=["2030-01-05T19:00:00+00:00"]),
]
Rewards = Annotated[
    str,
    Meta(
        max_length=2000,
        description="What the players won; shown as a spoiler once the game is over.",
        examples=["500 gold and the Sword of Dawn"],
    ),
]
ArchiveDelay = Annotated[
    int,
    Meta(
        ge=0,
        le=60 * 24 * 365,
        description="Minutes after the game completed until it is archived (null: never archived).",
        examples=[1440],
    ),
]
PostAt = Annotated[
    datetime,
    Meta(
        tz=True,
        description="Announce the game only then (ISO 8601 with a UTC offset; before the start). Until then "
        "only the host and the bot managers see it.",
        examples=["2030-01-01T12:00:00+00:00"],
    ),
]
SignupMethodName = Literal["self_signup", "host_selected", "host_selected_with_waitlist", "role_based"]
GameStatus = Literal["scheduled", "in_progress", "completed", "cancelled", "archived"]
SeatStatusName = Literal["confirmed", "waitlisted"]
RoleIds = Annotated[list[Snowflake], Meta(max_length=25)]
ParticipantEntry = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=100,
        description='"@name" or "<@id>" for a member; any other text is a placeholder that holds a seat.',
        examples=["@bob"],
    ),
]
CancelReason = Annotated[
    str,
    Meta(
        max_length=500,
        description="Why the game is cancelled: shown on the game and told to the players.",
        examples=["The host is ill; we'll play next week."],
    ),
]
Placeholder = Annotated[str, Meta(min_length=1, max_length=100, examples=["Reserved"])]
ParticipantId = Annotated[str, Meta(description="A participant id (uuid).")]


class GameCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    """A new game. Settings left out (null) are inherited: channel overrides, then guild defaults."""

    guild_id: Snowflake
    channel_id: Snowflake
    title: Title
    scheduled_at: AwareDatetime
    #: The IANA zone the time was thought in (the creator's browser, say), kept with the game to word its
    #: time ("19:00 Berlin time") when the host chose no zone of their own; the host's choice wins.
    time_zone: Annotated[str, Meta(max_length=64)] | None = None
    description: Description = ""
    duration_minutes: Duration | None = None
    max_players: MaxPlayers | None = None
    reminder_minutes: Reminders | None = None
    signup_instructions: Instructions | None = None
    location: Location = ""
    #: Null: the template's default method, else self-signup.
    signup_method: SignupMethodName | None = None
    player_role_ids: RoleIds | None = None
    priority_role_ids: RoleIds = []
    notify_role_ids: RoleIds = []
    #: The template to make the game from (its id, from ``GET /api/v1/guilds/{id}/templates``): its locked
    #: fields are taken and cannot differ, its defaults fill what is left out. Null: no template (the channel's
    #: and the server's settings only).
    template_id: Annotated[str, Meta(max_length=36)] | None = None
    #: Remind waitlisted players too (confirmed players and the host are always reminded).
    remind_waitlist: bool = False
    #: Managers may schedule a game for someone else.
    host_id: Snowflake | None = None
    initial_participants: Annotated[list[ParticipantEntry], Meta(max_length=100)] = []
    #: Announce later (null: now).
    post_at: PostAt | None = None
    archive_delay_minutes: ArchiveDelay | None = None
    #: Re-post the announcement there, without buttons, when the game is archived (null: only delete it).
    archive_channel_id: Snowflake | None = None
    rewards: Rewards = ""
    #: DM the host when the game completes with no rewards set.
    remind_rewards: bool = False


CarryMode = Annotated[
    Literal["no", "yes", "deadline"],
    Meta(
        description="Carry this list over: no; yes; or yes, each member confirming by `confirm_by` "
        "(their place is held pending until then, and given up if they do not)."
    ),
]


class GameClone(Struct, kw_only=True, forbid_unknown_fields=True):
    """A copy of a game at a new time, optionally carrying its confirmed players and its waitlist over."""

    #: Null: the next free slot (same weekday and local time, a week on).
    scheduled_at: AwareDatetime | None = None
    confirmed: CarryMode = "no"
    waitlist: CarryMode = "no"
    #: When either list is carried with a deadline: by when its members must confirm (in the future,
    #: before the game starts).
    confirm_by: AwareDatetime | None = None


class GameUpdate(Struct, kw_only=True, forbid_unknown_fields=True):
    """A partial edit: absent fields stay as they are; null on an inherited setting inherits it again."""

    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    scheduled_at: AwareDatetime | UnsetType = UNSET
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
    host_id: Snowflake | UnsetType = UNSET
    remind_waitlist: bool | UnsetType = UNSET
    #: Only while the game is not announced yet; "post now" is its own route (POST /games/{id}/post).
    post_at: PostAt | UnsetType = UNSET
    archive_delay_minutes: ArchiveDelay | UnsetType | None = UNSET
    archive_channel_id: Snowflake | UnsetType | None = UNSET
    rewards: Rewards | UnsetType = UNSET
    remind_rewards: bool | UnsetType = UNSET
    #: The version the editor saw; a different current version answers 409 instead of overwriting.
    expected_version: Annotated[int, Meta(ge=1)] | None = None


class GameCancel(Struct, kw_only=True, forbid_unknown_fields=True):
    """Cancelling a game, optionally with a reason (the body may be left out altogether)."""

    reason: CancelReason = ""


class ParticipantAdd(Struct, kw_only=True, forbid_unknown_fields=True):
    """Exactly one of ``mention`` (a member) or ``placeholder`` (free text holding a seat)."""

    mention: ParticipantEntry | None = None
    placeholder: Placeholder | None = None


class ParticipantReplace(Struct, kw_only=True, forbid_unknown_fields=True):
    """The member who takes a placeholder's seat."""

    mention: ParticipantEntry


class ParticipantOrder(Struct, kw_only=True, forbid_unknown_fields=True):
    """The host's order: these participants become host-added, first to last; others keep their place."""

    participant_ids: Annotated[list[ParticipantId], Meta(min_length=1, max_length=200)]


class RewardsUpdate(Struct, kw_only=True, forbid_unknown_fields=True):
    """The host's rewards and archive settings, also once the game is over. ``archive_now`` archives a
    completed game at once; a completed game whose delay has passed is archived on saving anyway."""

    rewards: Rewards | UnsetType = UNSET
    archive_now: bool = False
    #: Also once the game is over (until it is archived): the archive job moves with them, and a delay that
    #: has passed already archives the game on saving. Left out: unchanged.
    archive_delay_minutes: ArchiveDelay | UnsetType | None = UNSET
    archive_channel_id: Snowflake | UnsetType | None = UNSET


class Person(Struct, kw_only=True):
    discord_id: str
    display_name: str
    avatar_url: str | None = None


class ParticipantView(Struct, kw_only=True):
    id: str
    discord_id: str | None
    display_name: str
    avatar_url: str | None
    status: SeatStatusName
    #: 1-based place within its list (seat number, or place on the waitlist).
    position: int
    #: Added by the host (or at creation) rather than self-joined.
    pre_populated: bool
    is_placeholder: bool
    joined_at: datetime
    #: Carried over from a cloned game and not confirmed yet: the place is held until then (null: nothing
    #: to confirm).
    confirm_by: datetime | None = None


#: What a pending item of a game's schedule does (an enum in the OpenAPI schema, so clients can switch on it).
ScheduledKind = Literal["post", "reminder", "start", "complete", "archive"]


class ScheduledItem(Struct, kw_only=True):
    """Timed work still pending for a game: its posting, a reminder, the start, the end or the archiving."""

    kind: ScheduledKind
    due_at: datetime
    reminder_minutes: int | None = None


class GameView(Struct, kw_only=True):
    """A game as the API returns it (and as the bot renders it). Names are resolved at render time."""

    id: str
    guild_id: str
    channel_id: str
    channel_name: str | None
    host: Person
    title: str
    description: str
    scheduled_at: datetime
    duration_minutes: int | None
    max_players: int
    reminder_minutes: list[int]
    signup_instructions: str
    location: str
    status: GameStatus
    message_id: str | None
    participants: list[ParticipantView]
    confirmed_count: int
    waitlist_count: int
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    #: The host's reason for cancelling ("" when none was given).
    cancel_reason: str = ""
    signup_method: SignupMethodName
    settings_sources: dict[str, str]
    player_role_ids: list[str]
    priority_role_ids: list[str]
    notify_role_ids: list[str]
    version: int
    #: For the person asking: may they edit, cancel and manage the roster?
    can_manage: bool
    #: For the person asking: their seat, if they are on the roster.
    viewer_status: SeatStatusName | None = None
    viewer_position: int | None = None
    remind_waitlist: bool = False
    #: Pending reminders and transitions (filled in when one game is fetched).
    schedule: list[ScheduledItem] = []
    #: Set when Discord refused the announcement: the permissions the bot lacks in the channel
    #: (view_channel, send_messages, embed_links, read_message_history; empty when it cannot tell which).
    announcement_problem: list[str] | None = None
    #: Not announced yet: announced then (only the host and the bot managers see such a game).
    post_at: datetime | None = None
    archive_delay_minutes: int | None = None
    archive_channel_id: str | None = None
    #: The archived announcement re-posted in the archive channel.
    archive_message_id: str | None = None
    completed_at: datetime | None = None
    #: The rewards, for the host and managers always, for everyone else once the game is over ("" otherwise).
    rewards: str = ""
    remind_rewards: bool = False
    #: Only in the answer to a host's change (edit, roster change, cancel): how many people were sent a DM
    #: about it (0: no one needed telling). Absent elsewhere.
    told: int | UnsetType = UNSET
    #: The game's images, as paths on this server (``/images/<sha256>.<ext>``, public); None without one.
    thumbnail_url: str | None = None
    banner_url: str | None = None
    #: The template the game was made from (null: none, or deleted since) and its name then.
    template_id: str | None = None
    template_name: str | None = None
    #: The host's time zone when the game was created (IANA name), which words its time in DMs; null: UTC.
    time_zone: str | None = None
    #: Fields the template locked: an edit that changes one answers 422 naming the template.
    locked_fields: list[str] = []
    #: The recurring series the game belongs to (``GET /api/v1/series/{id}``); null: a game of its own.
    series_id: str | None = None

    @property
    def confirmed(self) -> list[ParticipantView]:
        return [p for p in self.participants if p.status == "confirmed"]

    @property
    def waitlist(self) -> list[ParticipantView]:
        return [p for p in self.participants if p.status == "waitlisted"]


class GameList(Struct, kw_only=True):
    items: list[GameView]
    #: Every game matching the filters, whichever page this is.
    total: int
    limit: int
    offset: int
    #: Pass as ``after`` for the games following this page (in the same order); null when this page is not
    #: full. Reading on with it costs the same however deep the page; a large ``offset`` does not.
    next_cursor: str | None = None


class Suggestion(Struct, kw_only=True):
    discord_id: str
    username: str
    display_name: str


class InvalidMentionView(Struct, kw_only=True):
    input: str
    reason: str
    suggestions: list[Suggestion]


GAME_CREATE_EXAMPLE = {
    "guild_id": SNOWFLAKE_EXAMPLE,
    "channel_id": "1300000000000000002",
    "title": "Gloomhaven: scenario 12",
    "scheduled_at": "2030-01-05T19:00:00+00:00",
    "description": "Bring snacks.",
    "duration_minutes": 180,
    "max_players": 4,
    "reminder_minutes": [60, 15],
    "location": "Dave's place",
    "initial_participants": ["@bob", "Reserved"],
}


class InvalidMentionsBody(Struct, kw_only=True):
    """422 on create when an @mention does not name exactly one member; the form comes back untouched.
    Other problems of the same submission come with it: ``errors`` lists each (``field``, ``message``)."""

    error: Literal["invalid_mentions"]
    message: str
    invalid_mentions: list[InvalidMentionView]
    valid_participants: list[str]
    form_data: dict[str, Any]
    field: str | None = None
    errors: list[dict[str, Any]] = []


INVALID_MENTIONS_EXAMPLE = {
    "error": "invalid_mentions",
    "message": "1 mention could not be matched to exactly one member of this server.",
    "invalid_mentions": [
        {
            "input": "@bo",
            "reason": "No member of this server is called @bo. Did you mean one of these?",
            "suggestions": [{"discord_id": SNOWFLAKE_EXAMPLE, "username": "bob", "display_name": "Bobby"}],
        }
    ],
    "valid_participants": ["Reserved"],
    "form_data": {**GAME_CREATE_EXAMPLE, "initial_participants": ["@bo", "Reserved"]},
}
