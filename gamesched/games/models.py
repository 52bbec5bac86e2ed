"""The games tables. Guild-scoped (row-level security on guild_id); Discord ids are BIGINT; names never stored.

Foreign keys to the guilds module's tables live in the migration only, so this module's mapping does not
depend on another module's models.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Identity, Integer, SmallInteger, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gamesched.core.db import Base

STATUSES = ("scheduled", "in_progress", "completed", "cancelled", "archived")
SIGNUP_METHODS = ("self_signup", "host_selected", "host_selected_with_waitlist", "role_based")


class Game(Base):
    __tablename__ = "games"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, server_default=text("gen_random_uuid()")
    )
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    host_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    max_players: Mapped[int] = mapped_column(Integer)
    reminder_minutes: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    signup_instructions: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(Text, default="")
    player_role_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    priority_role_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    notify_role_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    signup_method: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default="scheduled")
    #: Which level (game, channel, guild, default) each inherited value came from when last resolved.
    settings_sources: Mapped[dict[str, Any]] = mapped_column(JSONB)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Why the host cancelled (optional; empty when none was given).
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Send reminders to the waitlist as well as to confirmed players.
    remind_waitlist: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Why Discord refused the announcement: the permissions the bot lacked in the channel (empty when it
    #: could not tell); NULL while the announcement is fine.
    announcement_problem: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    #: While set, the game is not announced yet (hidden from plain members); the ``games.post`` job
    #: announces it then and clears it.
    post_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Archive the game this long after it completed; NULL: never.
    archive_delay_minutes: Mapped[int | None] = mapped_column(Integer)
    #: Where the archived announcement is re-posted without buttons; NULL: it is only deleted.
    archive_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    archive_message_id: Mapped[int | None] = mapped_column(BigInteger)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The host's rewards text, shown as a spoiler once the game is over.
    rewards: Mapped[str] = mapped_column(Text, default="")
    #: DM the host at completion when the rewards are still empty.
    remind_rewards: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The images shown with the game (``images.name``: ``<sha256>.<ext>``), or NULL.
    thumbnail_image: Mapped[str | None] = mapped_column(Text)
    banner_image: Mapped[str | None] = mapped_column(Text)
    #: The template the game was made from (NULL: none, or deleted since), its name then, and the fields it
    #: locked — copied at creation, so editing the template later changes no existing game.
    template_id: Mapped[uuid.UUID | None] = mapped_column()
    template_name: Mapped[str | None] = mapped_column(Text)
    locked_fields: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    #: The host's IANA time zone when the game was created (migration 0018): words its time in DMs ("19:00
    #: Berlin time"). Times are stored in UTC regardless; NULL: worded in UTC.
    time_zone: Mapped[str | None] = mapped_column(Text)
    #: The series the game is an occurrence of (migration 0021), and that occurrence's start by the rule
    #: (UTC): a game moved on its own has ``scheduled_at`` != ``recurrence_id``.
    series_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("game_series.id", ondelete="SET NULL"))
    recurrence_id: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GameSeries(Base):
    """A game that repeats by an RFC 5545 rule; each occurrence becomes a ``Game`` when it is due."""

    __tablename__ = "game_series"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, server_default=text("gen_random_uuid()")
    )
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    host_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(Text)
    #: The RRULE value (UNTIL as local floating time), expanded from ``dtstart_local`` in ``time_zone``.
    rrule: Mapped[str] = mapped_column(Text)
    dtstart_local: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    time_zone: Mapped[str] = mapped_column(Text)
    #: Make (and announce) each game this long before it; NULL: when the previous one is over.
    lead_minutes: Mapped[int | None] = mapped_column(Integer)
    carry_roster: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Occurrences the host skipped (their start by the rule, UTC).
    skipped: Mapped[list[datetime]] = mapped_column(ARRAY(DateTime(timezone=True)), default=list)
    #: The create body every occurrence is made with, less its time (``GameCreate`` fields).
    game: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Participant(Base):
    __tablename__ = "participants"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, server_default=text("gen_random_uuid()")
    )
    game_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    placeholder: Mapped[str | None] = mapped_column(Text)
    position_type: Mapped[int] = mapped_column(SmallInteger)
    position: Mapped[int] = mapped_column(Integer)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))
    #: Carried over from another game and asked to confirm by then (their place is held meanwhile);
    #: NULL: nothing to confirm (migration 0021).
    confirm_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class GameCount(Base):
    """How many games a guild has in one channel with one status. Written only by the triggers on ``games``
    (migration 0006), in the transaction that changes the games, so the sums are exact."""

    __tablename__ = "game_counts"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    channel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(Text, primary_key=True)
    games: Mapped[int] = mapped_column(BigInteger)
