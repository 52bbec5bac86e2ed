"""Guild and channel records, kept in step with Discord by the bot, holding their settings."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP
from sqlalchemy.orm import Mapped, mapped_column

from gamesched.core.db import Base

#: Channel types a game can be announced in: text and announcement channels.
ANNOUNCEABLE_CHANNEL_TYPES = frozenset({0, 5})
#: Channel types recorded at all (categories are kept to show grouping).
RECORDED_CHANNEL_TYPES = frozenset({0, 2, 4, 5, 13, 15})


class Guild(Base):
    __tablename__ = "guilds"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(BigInteger)
    icon_url: Mapped[str | None] = mapped_column(Text)
    bot_present: Mapped[bool] = mapped_column(Boolean, default=True)
    left_at: Mapped[datetime | None] = mapped_column(TIMESTAMP(timezone=True))
    max_players: Mapped[int | None] = mapped_column(Integer)
    reminder_minutes: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    signup_instructions: Mapped[str | None] = mapped_column(Text)
    manager_role_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), default=list)
    host_role_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), default=list)
    player_role_ids: Mapped[list[int] | None] = mapped_column(ARRAY(BigInteger))
    #: The guild's custom emoji as Discord marks them up: name → ``<:dice:123>`` (the projection of Discord).
    emojis: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP(timezone=True), server_default=func.now())
    #: Bumped by every change to the guild, its channels or its roles: processes without the gateway reload
    #: a guild's projection when it moved.
    updated_at: Mapped[datetime] = mapped_column(TIMESTAMP(timezone=True), server_default=func.now())

    def settings(self) -> dict[str, object]:
        """Guild-level values for settings resolution (None = not set)."""
        return {
            "max_players": self.max_players,
            "reminder_minutes": self.reminder_minutes,
            "signup_instructions": self.signup_instructions,
            "host_role_ids": self.host_role_ids or None,
            "player_role_ids": self.player_role_ids,
        }


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    guild_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("guilds.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    type: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    parent_id: Mapped[int | None] = mapped_column(BigInteger)
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    category: Mapped[str | None] = mapped_column(Text)
    max_players: Mapped[int | None] = mapped_column(Integer)
    reminder_minutes: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    signup_instructions: Mapped[str | None] = mapped_column(Text)
    host_role_ids: Mapped[list[int] | None] = mapped_column(ARRAY(BigInteger))
    player_role_ids: Mapped[list[int] | None] = mapped_column(ARRAY(BigInteger))
    #: What the bot may do here (permission bits, overwrites applied), as the bot process last computed it.
    bot_permissions: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(TIMESTAMP(timezone=True), server_default=func.now())

    @property
    def announceable(self) -> bool:
        return self.present and self.type in ANNOUNCEABLE_CHANNEL_TYPES

    def settings(self) -> dict[str, object]:
        """Channel overrides for settings resolution (None = inherit from the guild)."""
        return {
            "max_players": self.max_players,
            "reminder_minutes": self.reminder_minutes,
            "signup_instructions": self.signup_instructions,
            "host_role_ids": self.host_role_ids,
            "player_role_ids": self.player_role_ids,
        }


class GuildRole(Base):
    """A role of a guild as the bot last saw it (the projection of Discord, read by processes without it)."""

    __tablename__ = "guild_roles"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    guild_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("guilds.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    permissions: Mapped[int] = mapped_column(BigInteger, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    managed: Mapped[bool] = mapped_column(Boolean, default=False)


class GuildMember(Base):
    """That a user is in a guild, with the roles they hold: what permission checks need. No names (they are
    resolved when shown, never stored)."""

    __tablename__ = "guild_members"

    guild_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("guilds.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), default=list)
    bot: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(TIMESTAMP(timezone=True), server_default=func.now())


class GameTemplate(Base):
    """A named preset of a server. Locked fields (set: the game takes them and cannot change them; None: not
    locked) and pre-filled defaults (None: inherit from the channel and the server)."""

    __tablename__ = "game_templates"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, server_default=text("gen_random_uuid()")
    )
    guild_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("guilds.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # locked
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    #: False: ``channel_id`` is only the channel the create form proposes (the default templates made for
    #: each server), not a lock.
    channel_locked: Mapped[bool] = mapped_column(Boolean, default=True)
    archive_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    archive_delay_minutes: Mapped[int | None] = mapped_column(Integer)
    notify_role_ids: Mapped[list[int] | None] = mapped_column(ARRAY(BigInteger))
    player_role_ids: Mapped[list[int] | None] = mapped_column(ARRAY(BigInteger))
    host_role_ids: Mapped[list[int] | None] = mapped_column(ARRAY(BigInteger))
    priority_role_ids: Mapped[list[int] | None] = mapped_column(ARRAY(BigInteger))
    # pre-filled
    max_players: Mapped[int | None] = mapped_column(Integer)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    reminder_minutes: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    location: Mapped[str | None] = mapped_column(Text)
    signup_instructions: Mapped[str | None] = mapped_column(Text)
    signup_methods: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    default_signup_method: Mapped[str | None] = mapped_column(Text)
    #: Pictures a game made from the template starts with (names in ``images``; the images module's store).
    thumbnail_image: Mapped[str | None] = mapped_column(Text)
    banner_image: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(TIMESTAMP(timezone=True), server_default=func.now())
