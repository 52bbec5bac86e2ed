"""Someone's time zone is read once a minute per process, not once per page."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched.core.clock import FakeClock
from gamesched.core.db import Database
from gamesched.guilds.preferences import ZONE_MEMORY_SECONDS, PreferenceService


async def test_a_zone_is_kept_a_minute_and_a_choice_made_here_applies_at_once(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    here = PreferenceService(db=Database(engine), clock=clock)
    elsewhere = PreferenceService(db=Database(engine), clock=clock)  # another process of the installation

    assert await here.time_zone(42) is None
    await elsewhere.set_time_zone(42, "Europe/Berlin")
    assert await elsewhere.time_zone(42) is not None, "a choice applies at once where it was made"
    assert await here.time_zone(42) is None, "kept: no read per page"

    clock.advance(seconds=ZONE_MEMORY_SECONDS + 1)
    zone = await here.time_zone(42)
    assert zone is not None and zone.key == "Europe/Berlin"

    await here.set_time_zone(42, "")
    assert await here.time_zone(42) is None
