"""Each person's own settings, the same in every server: for now their time zone.

Kept with the guilds module because the ``page`` it provides (every dashboard page's header) shows times in
the viewer's zone, and games, notifications and the Discord commands reach it through ``gamesched.guilds``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, DateTime, Text, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, mapped_column

from gamesched.core.clock import Clock
from gamesched.core.db import Base, Database
from gamesched.core.errors import Invalid
from gamesched.core.time_zones import MAX_ZONE_LENGTH, zone_choices, zone_named

#: The form field and the cookie the dashboard's script sets from the browser (``Intl``) until a zone is set.
BROWSER_ZONE_COOKIE = "tz"


class UserPreferences(Base):
    """One row per person who chose something (migration 0018); not guild-scoped."""

    __tablename__ = "user_preferences"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    time_zone: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def unknown_zone(typed: str) -> Invalid:
    """The sentence for a zone name we don't know, with the nearest names when some are close."""
    shown = typed.strip()[:MAX_ZONE_LENGTH]
    near = zone_choices(shown, limit=3) if shown else []
    hint = (
        f" Did you mean {', '.join(near)}?" if near else " Use a name like Europe/Berlin or America/New_York."
    )
    return Invalid(f"I don't know the time zone {shown!r}.{hint}", field="time_zone")


#: How long a process keeps someone's zone before reading it again: every page shows times in it, and a
#: read per page was a transaction per page. A choice made on this process applies at once; one made on
#: another process of the same installation within this long.
ZONE_MEMORY_SECONDS = 60.0
#: People whose zone a process keeps at most (forgotten all at once past it: a plain bound, not an LRU).
ZONE_MEMORY_PEOPLE = 10_000


class PreferenceService:
    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._zones: dict[int, tuple[float, str | None]] = {}

    async def time_zone(self, user_id: int) -> ZoneInfo | None:
        """The zone the person chose, or None when they chose none."""
        now = self.clock.now().timestamp()
        kept = self._zones.get(user_id)
        if kept is not None and now - kept[0] < ZONE_MEMORY_SECONDS:
            return zone_named(kept[1])
        async with self.db.uow(bypass_rls=True) as uow:
            name = await uow.session.scalar(
                select(UserPreferences.time_zone).where(UserPreferences.user_id == user_id)
            )
        self._remember(user_id, name, now)
        return zone_named(name)

    def _remember(self, user_id: int, name: str | None, now: float) -> None:
        if len(self._zones) >= ZONE_MEMORY_PEOPLE:
            self._zones.clear()
        self._zones[user_id] = (now, name)

    async def set_time_zone(self, user_id: int, name: str | None) -> ZoneInfo | None:
        """Choose a zone by its IANA name (any case); empty or None forgets the choice. Invalid for a name
        we don't know."""
        zone = None
        if name and name.strip():
            zone = zone_named(name)
            if zone is None:
                raise unknown_zone(name)
        values = {"user_id": user_id, "time_zone": zone.key if zone else None, "updated_at": self.clock.now()}
        async with self.db.uow(bypass_rls=True) as uow:
            await uow.session.execute(
                insert(UserPreferences)
                .values(**values)
                .on_conflict_do_update(index_elements=[UserPreferences.user_id], set_=values)
            )
        self._remember(user_id, zone.key if zone else None, self.clock.now().timestamp())
        return zone
