"""The images table: content-addressed, shared by every guild (see the module's docstring for why)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, LargeBinary, Text
from sqlalchemy.orm import Mapped, mapped_column

from gamesched.core.db import Base


class StoredImageRow(Base):
    __tablename__ = "images"

    #: ``<sha256 of data>.<ext>``: the URL's last part, so a URL names exactly one content forever.
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    media_type: Mapped[str] = mapped_column(Text)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Set on every upload of this content: the sweep spares images used (or re-uploaded) lately.
    last_used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
