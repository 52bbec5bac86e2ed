"""The record of what was sent to whom: written once Discord accepted a DM (or refused it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Text, func
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP
from sqlalchemy.orm import Mapped, mapped_column

from gamesched.core.db import Base


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    game_id: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(Text, unique=True)
    outcome: Mapped[str] = mapped_column(Text)  # sent | dms_closed | failed
    error: Mapped[str | None] = mapped_column(Text)
    #: One line for the channel fallback if the DM cannot be delivered ("Game night is tomorrow 19:00").
    fallback_summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP(timezone=True), server_default=func.now())
    fallback_posted_at: Mapped[datetime | None] = mapped_column(TIMESTAMP(timezone=True))
    #: The DM's ``StillRelevant`` condition (delivery.py), checked again before the channel fallback.
    relevance: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class DMChannel(Base):
    """The bot's DM channel with a user (one per user, for good), so a DM costs one request."""

    __tablename__ = "dm_channels"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP(timezone=True), server_default=func.now())
