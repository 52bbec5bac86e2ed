"""Permission checks read the guild's record from a short per-process cache; changes made here count at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched.core.clock import FakeClock
from gamesched.core.db import Database
from gamesched.guilds import ChannelInfo, GuildInfo, GuildService, MemberInfo, RoleInfo
from gamesched.guilds.service import GUILD_RECORD_TTL_SECONDS

GUILD, OWNER, MOD, MOD_ROLE = 100, 1, 2, 7


class Directory:
    """The bot's view: one guild owned by OWNER; MOD holds MOD_ROLE, which has no permissions."""

    def guild_ids(self) -> set[int]:
        return {GUILD}

    def guild(self, guild_id: int) -> GuildInfo | None:
        if guild_id != GUILD:
            return None
        return GuildInfo(
            id=GUILD,
            name="Guild",
            owner_id=OWNER,
            roles={GUILD: RoleInfo(GUILD, "@everyone", 0), MOD_ROLE: RoleInfo(MOD_ROLE, "Mods", 0)},
            channels={10: ChannelInfo(10, GUILD, "general", 0)},
        )

    async def member(self, guild_id: int, user_id: int) -> MemberInfo | None:
        roles = frozenset({MOD_ROLE}) if user_id == MOD else frozenset()
        return MemberInfo(user_id=user_id, username=f"user{user_id}", role_ids=roles)

    async def members(self, guild_id: int, user_ids: Iterable[int]) -> dict[int, MemberInfo]:
        return {uid: m for uid in user_ids if (m := await self.member(guild_id, uid)) is not None}

    async def search_members(self, guild_id: int, query: str, *, limit: int = 10) -> list[MemberInfo]:
        return []


async def test_a_settings_change_counts_at_once_here_and_within_the_ttl_in_another_process(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    db = Database(engine)
    here, there = (GuildService(db=db, directory=Directory(), clock=clock) for _ in range(2))
    info = Directory().guild(GUILD)
    assert info is not None
    await here.sync_guild(info)
    assert not (await here.access(GUILD, MOD)).is_manager
    assert not (await there.access(GUILD, MOD)).is_manager  # both processes now hold the record

    await here.update_guild_settings(await here.access(GUILD, OWNER), {"manager_role_ids": [MOD_ROLE]})
    assert (await here.access(GUILD, MOD)).is_manager
    assert [access.is_manager for _, access in await here.guilds_for_user(MOD)] == [True]

    assert not (await there.access(GUILD, MOD)).is_manager
    clock.advance(timedelta(seconds=GUILD_RECORD_TTL_SECONDS))
    assert (await there.access(GUILD, MOD)).is_manager


async def test_two_processes_syncing_a_new_guild_at_once_make_one_default_template(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    from sqlalchemy import text

    db = Database(engine)
    here, there = (GuildService(db=db, directory=Directory(), clock=clock) for _ in range(2))
    info = Directory().guild(GUILD)
    assert info is not None
    await asyncio.gather(*(service.sync_guild(info) for service in (here, there, here, there)))
    async with db.uow(guild_id=GUILD) as uow:
        rows = (
            await uow.session.execute(text("SELECT name, is_default, channel_id FROM game_templates"))
        ).all()
    assert [tuple(r) for r in rows] == [("Default", True, 10)]


class GuildReads:
    """Counts the statements that read the guilds table (a listener on the engine, removed on exit)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.sync_engine
        self.count = 0

    def _seen(self, conn: object, cursor: object, statement: str, *args: object) -> None:
        self.count += "FROM guilds" in statement

    def __enter__(self) -> GuildReads:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


async def _synced_service(engine: AsyncEngine, clock: FakeClock) -> GuildService:
    """A guild service that has synced the guild (and so holds its record)."""
    service = GuildService(db=Database(engine), directory=Directory(), clock=clock)
    info = Directory().guild(GUILD)
    assert info is not None
    await service.sync_guild(info)
    return service


async def test_checks_that_find_the_record_expired_at_the_same_time_wait_for_one_read(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    service = await _synced_service(engine, clock)
    await service.update_guild_settings(await service.access(GUILD, OWNER), {"manager_role_ids": [MOD_ROLE]})
    clock.advance(timedelta(seconds=GUILD_RECORD_TTL_SECONDS))

    with GuildReads(engine) as reads:
        storm = await asyncio.gather(*(service.access(GUILD, MOD) for _ in range(20)))
        assert [access.is_manager for access in storm] == [True] * 20
        assert reads.count == 1
        await service.access(GUILD, OWNER)  # kept: no read
        assert reads.count == 1


async def test_a_read_under_way_when_the_guild_changes_is_not_kept(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    service = await _synced_service(engine, clock)
    owner = await service.access(GUILD, OWNER)
    clock.advance(timedelta(seconds=GUILD_RECORD_TTL_SECONDS))

    with GuildReads(engine) as reads:
        check = asyncio.create_task(service.access(GUILD, MOD))
        await asyncio.sleep(0)  # one turn: the check starts its read and waits for it
        assert GUILD in service._record_reads
        await service.update_guild_settings(owner, {"manager_role_ids": [MOD_ROLE]})
        await check  # it may answer from before the change; what it read is not kept
        reads_before = reads.count
        assert (await service.access(GUILD, MOD)).is_manager
        assert reads.count == reads_before + 1
