"""Turn rows into the GameView the API and the bot show: roster partitioned, names resolved now."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Row

from gamesched.games.models import Game, Participant
from gamesched.games.roster import PositionType, Roster, partition_roster
from gamesched.games.schemas import GameView, ParticipantView, Person
from gamesched.images import image_path

UNKNOWN_USER = "Unknown user"
#: Statuses in which the rewards are shown to everyone.
OVER = frozenset({"completed", "archived"})


class ParticipantRow(msgspec.Struct, frozen=True):
    """A participant as a read gets it: decoded from one JSON value per game (see queries.py), which costs a
    fraction of building an ORM object per player."""

    #: The participant's id as its text: a read only shows it, and ``str`` of a ``uuid.UUID`` is Python code.
    id: str
    user_id: int | None
    placeholder: str | None
    position_type: int
    position: int
    joined_at: datetime
    #: The database's insert counter; None for a player a batch of clicks has not written yet (see roster.py).
    seq: int | None
    confirm_by: datetime | None = None


#: What a view is rendered from: the ORM objects of a write, or the plain rows of a read.
GameRecord = Game | Row[Any]
Participants = Sequence[Participant] | Sequence[ParticipantRow]


def user_ids_of(game: GameRecord, participants: Participants) -> set[int]:
    return {game.host_id, *(p.user_id for p in participants if p.user_id is not None)}


def render_game(
    game: GameRecord,
    participants: Participants,
    *,
    members: Mapping[int, Any],
    channel_name: str | None,
    viewer_id: int | None = None,
    can_manage: bool = False,
) -> GameView:
    """``members`` maps user ids to MemberDisplay-like objects (display_name, avatar_url, username); members
    of the game who show the same name get their username beside it."""
    members = _told_apart({u: members[u] for u in user_ids_of(game, participants) if u in members})
    roster: Roster[Participant | ParticipantRow] = partition_roster(
        participants, game.max_players, game.signup_method
    )
    views: list[ParticipantView] = []
    viewer_status: Any = None
    viewer_position: int | None = None
    for status, entries in (("confirmed", roster.confirmed), ("waitlisted", roster.waitlist)):
        for position, p in enumerate(entries, start=1):
            name, avatar = (
                _display(p.user_id, members) if p.user_id is not None else (p.placeholder or "", None)
            )
            views.append(
                ParticipantView(
                    id=str(p.id),
                    discord_id=None if p.user_id is None else str(p.user_id),
                    display_name=name,
                    avatar_url=avatar,
                    status=status,  # type: ignore[arg-type]
                    position=position,
                    pre_populated=p.position_type == PositionType.HOST_ADDED,
                    is_placeholder=p.user_id is None,
                    joined_at=p.joined_at,
                    confirm_by=p.confirm_by,
                )
            )
            if viewer_id is not None and p.user_id == viewer_id:
                viewer_status, viewer_position = status, position
    host_name, host_avatar = _display(game.host_id, members)
    return GameView(
        id=str(game.id),
        guild_id=str(game.guild_id),
        channel_id=str(game.channel_id),
        channel_name=channel_name,
        host=Person(discord_id=str(game.host_id), display_name=host_name, avatar_url=host_avatar),
        title=game.title,
        description=game.description,
        scheduled_at=game.scheduled_at,
        duration_minutes=game.duration_minutes,
        max_players=game.max_players,
        reminder_minutes=list(game.reminder_minutes),
        signup_instructions=game.signup_instructions,
        location=game.location,
        status=game.status,  # type: ignore[arg-type]
        message_id=None if game.message_id is None else str(game.message_id),
        participants=views,
        confirmed_count=len(roster.confirmed),
        waitlist_count=len(roster.waitlist),
        created_at=game.created_at,
        updated_at=game.updated_at,
        cancelled_at=game.cancelled_at,
        cancel_reason=game.cancel_reason or "",
        signup_method=game.signup_method,  # type: ignore[arg-type]
        settings_sources=dict(game.settings_sources),
        player_role_ids=[str(r) for r in game.player_role_ids],
        priority_role_ids=[str(r) for r in game.priority_role_ids],
        notify_role_ids=[str(r) for r in game.notify_role_ids],
        version=game.version,
        can_manage=can_manage,
        viewer_status=viewer_status,
        viewer_position=viewer_position,
        remind_waitlist=game.remind_waitlist,
        announcement_problem=None if game.announcement_problem is None else list(game.announcement_problem),
        post_at=game.post_at,
        archive_delay_minutes=game.archive_delay_minutes,
        archive_channel_id=None if game.archive_channel_id is None else str(game.archive_channel_id),
        archive_message_id=None if game.archive_message_id is None else str(game.archive_message_id),
        completed_at=game.completed_at,
        rewards=game.rewards if can_manage or game.status in OVER else "",
        remind_rewards=game.remind_rewards,
        thumbnail_url=None if game.thumbnail_image is None else image_path(game.thumbnail_image),
        banner_url=None if game.banner_image is None else image_path(game.banner_image),
        template_id=None if game.template_id is None else str(game.template_id),
        template_name=game.template_name,
        time_zone=game.time_zone,
        locked_fields=list(game.locked_fields or []),
        series_id=None if game.series_id is None else str(game.series_id),
    )


@dataclass(frozen=True, slots=True)
class _Shown:
    display_name: str
    avatar_url: str | None


def _told_apart(members: dict[int, Any]) -> dict[int, Any]:
    """Display names, with the username beside those two or more of these members share: "Sam (@sam_k)"."""
    names = [m.display_name.casefold() for m in members.values()]
    if len(set(names)) == len(names):  # the usual case: nothing to tell apart
        return members
    sharing = Counter(names)
    shown: dict[int, Any] = dict(members)
    for user_id, m in members.items():
        username = getattr(m, "username", None)
        if sharing[m.display_name.casefold()] > 1 and username:
            shown[user_id] = _Shown(f"{m.display_name} (@{username})", m.avatar_url)
    return shown


def _display(user_id: int, members: Mapping[int, Any]) -> tuple[str, str | None]:
    member = members.get(user_id)
    if member is None:
        return UNKNOWN_USER, None
    return member.display_name, member.avatar_url
