"""The shared projection of Discord: a bot process keeps guilds, channels, roles and members' role ids in
PostgreSQL from gateway events, and a web-only process (no gateway) serves the server list, server pages, the
create form and permission checks from it, by the same rules as the bot process. Real PostgreSQL, the real
discord.py bot against the sandbox, no Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from gamesched.app import App
from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from gamesched.guilds import ProjectedDirectory
from gamesched.guilds.models import Channel, Guild, GuildMember, GuildRole
from gamesched.guilds.projection import FALLBACK_SECONDS
from tests.conftest import serving, wait_for_discord
from tests.login import login_as
from tests.world import fetch_world


@pytest.fixture
async def full(app_settings: Settings) -> AsyncIterator[App]:
    """The bot process (with the sandbox), members intent on: Discord sends it members' role changes."""
    async with serving(app_settings.with_overrides(sandbox=True, discord_members_intent=True)) as app:
        await wait_for_discord(app)
        yield app


@pytest.fixture
async def web(full: App, app_settings: Settings, tmp_path: Path) -> AsyncIterator[App]:
    settings = app_settings.with_overrides(
        data_dir=tmp_path / "web",
        sandbox_url=full.base_url,
        public_url=full.base_url,
        roles=frozenset({"web"}),
    )
    # The web process's own clock, to show what it keeps for a while; it starts at the real time, since the
    # bot process stamps what it records with that.
    async with serving(settings, clock=FakeClock(datetime.now(UTC))) as app:
        yield app


async def _rows(app: App, model: type, **where: int) -> list[Any]:
    async with app.db.uow(bypass_rls=True) as uow:
        return list((await uow.session.scalars(select(model).filter_by(**where))).all())


async def _eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def _web_url(app: App) -> str:
    assert app.listen_socket is not None
    host, port = app.listen_socket.getsockname()[:2]
    return f"http://{host}:{port}"


async def test_the_bot_process_keeps_roles_channels_and_members_in_the_database(full: App) -> None:
    world = await fetch_world(full.base_url)
    gid = world.guild_id()

    async def filled() -> bool:
        return bool(await _rows(full, GuildMember, guild_id=gid, user_id=world.user_id("frank")))

    await _eventually(filled)
    roles = {r.name: r for r in await _rows(full, GuildRole, guild_id=gid)}
    assert {"@everyone", "Moderator"} <= set(roles)
    assert roles["@everyone"].id == gid
    channels = {c.name: c for c in await _rows(full, Channel, guild_id=gid)}
    assert channels["board-games"].bot_permissions, "the bot's permissions in each channel are recorded"
    members = {m.user_id: m for m in await _rows(full, GuildMember, guild_id=gid)}
    carol = members[world.user_id("carol")]
    assert world.role_id("Moderator") in carol.role_ids

    frank = world.user_id("frank")
    async with httpx.AsyncClient(base_url=f"{full.base_url}/sandbox/api") as api:
        await api.patch(f"/guilds/{gid}/channels/{channels['rpg'].id}", json={"name": "tabletop"})
        role = (await api.post(f"/guilds/{gid}/roles", json={"name": "Game Host"})).json()
        await api.put(f"/guilds/{gid}/members/{frank}", json={"roles": [role["id"]]})

    async def followed() -> bool:
        renamed = [c for c in await _rows(full, Channel, guild_id=gid) if c.id == channels["rpg"].id]
        added = await _rows(full, GuildRole, guild_id=gid, id=int(role["id"]))
        member = await _rows(full, GuildMember, guild_id=gid, user_id=frank)
        return (
            renamed[0].name == "tabletop"
            and bool(added)
            and added[0].name == "Game Host"
            and member[0].role_ids == [int(role["id"])]
        )

    await _eventually(followed)


async def test_without_the_members_intent_members_the_bot_looks_up_are_recorded(sandbox_app: App) -> None:
    """No member events without the intent: a member the bot looks up (a click, a page) is written in the
    background, role ids only."""
    world = await fetch_world(sandbox_app.base_url)
    gid, carol = world.guild_id(), world.user_id("carol")
    assert not await _rows(sandbox_app, GuildMember, guild_id=gid, user_id=carol)

    await sandbox_app.guilds.access(gid, carol)

    async def recorded() -> bool:
        rows = await _rows(sandbox_app, GuildMember, guild_id=gid, user_id=carol)
        return bool(rows) and world.role_id("Moderator") in rows[0].role_ids

    await _eventually(recorded)


async def test_a_web_only_process_serves_servers_forms_and_permissions_from_the_projection(
    full: App, web: App
) -> None:
    world = await fetch_world(full.base_url)
    gid, other = world.guild_id(), world.guild_id("Other Guild")
    assert web.discord.bot is None
    directory = web.guilds.directory
    assert isinstance(directory, ProjectedDirectory)
    assert {gid, other} <= directory.guild_ids()

    async def pages(base_url: str, username: str) -> dict[str, Any]:
        async with await login_as(full.base_url, username) as client:
            client.base_url = httpx.URL(base_url)
            me = (await client.get("/api/v1/me")).json()
            guild = await client.get(f"/api/v1/guilds/{gid}")
            form = await client.get(f"/games/new?guild_id={gid}", headers={"accept": "text/html"})
            stranger = await client.get(f"/games/new?guild_id={other}", headers={"accept": "text/html"})
            settings = await client.get(f"/guilds/{gid}/settings", headers={"accept": "text/html"})
        return {
            "settings": settings.status_code,
            "settings_text": settings.text,
            "servers": sorted(g["name"] for g in me["guilds"]),
            "guild": guild.status_code,
            "manager": guild.json().get("is_manager"),
            "form": form.status_code,
            "form_text": form.text,
            "stranger": stranger.status_code,
        }

    alice_web = await pages(_web_url(web), "alice")
    alice_bot = await pages(full.base_url, "alice")
    assert alice_web["servers"] == alice_bot["servers"] == ["Sandbox Guild"]
    assert (alice_web["guild"], alice_web["manager"], alice_web["form"]) == (200, True, 200)
    assert "board-games" in alice_web["form_text"] and "Moderator" in alice_web["form_text"]
    assert alice_web["stranger"] == alice_bot["stranger"] == 404
    assert alice_web["settings"] == 200 and "Moderator" in alice_web["settings_text"]

    frank_web = await pages(_web_url(web), "frank")
    frank_bot = await pages(full.base_url, "frank")
    assert frank_web["form"] == frank_bot["form"] == 403
    assert frank_web["settings"] == frank_bot["settings"] == 403
    assert (
        (frank_web["guild"], frank_web["manager"])
        == (frank_bot["guild"], frank_bot["manager"])
        == (200, False)
    )

    # Names are not in the database: the web process asks Discord for them (REST), for rosters and mentions.
    resolved = await web.guilds.resolve_mentions(gid, ["@bob", "Guest"])
    assert resolved.ok and resolved.entries[0].user_id == world.user_id("bob")
    shown = await web.guilds.display_members(gid, [world.user_id("bob")])
    assert shown == await full.guilds.display_members(gid, [world.user_id("bob")])

    # A channel renamed in Discord reaches the web process's view at its next refresh.
    channel = world.channel_id("board-games")
    async with httpx.AsyncClient(base_url=f"{full.base_url}/sandbox/api") as api:
        await api.patch(f"/guilds/{gid}/channels/{channel}", json={"name": "boardgames-night"})

    async def renamed() -> bool:
        await directory.refresh()
        guild = directory.guild(gid)
        return guild is not None and guild.channels[channel].name == "boardgames-night"

    await _eventually(renamed)


async def test_a_change_stamped_behind_the_latest_one_seen_is_not_missed(sandbox_app: App) -> None:
    """Writers' clocks differ and transactions commit in any order: a refresh looks back, and reloads only
    the guilds whose stamp moved."""
    world = await fetch_world(sandbox_app.base_url)
    gid = world.guild_id("Other Guild")
    directory = ProjectedDirectory(sandbox_app.db, clock=sandbox_app.clock)
    assert await directory.refresh() == 2
    assert await directory.refresh() == 0, "nothing moved: nothing reloaded"
    async with sandbox_app.db.uow(bypass_rls=True) as uow:
        latest = max(g.updated_at for g in (await uow.session.scalars(select(Guild))).all())
        await uow.session.execute(
            update(Guild)
            .where(Guild.id == gid)
            .values(name="Renamed", updated_at=latest - timedelta(seconds=5))
        )

    assert await directory.refresh() == 1
    guild = directory.guild(gid)
    assert guild is not None and guild.name == "Renamed"


async def test_a_role_given_in_discord_reaches_the_web_process_permission_check(full: App, web: App) -> None:
    """The bot records the role change; the web process reads it once its few seconds of memory have passed."""
    world = await fetch_world(full.base_url)
    gid, frank, moderator = world.guild_id(), world.user_id("frank"), world.role_id("Moderator")
    assert isinstance(web.clock, FakeClock)
    assert not (await web.guilds.access(gid, frank)).is_manager
    async with httpx.AsyncClient(base_url=f"{full.base_url}/sandbox/api") as api:
        await api.put(f"/guilds/{gid}/members/{frank}", json={"roles": [moderator]})

    async def recorded() -> bool:
        rows = await _rows(full, GuildMember, guild_id=gid, user_id=frank)
        return moderator in rows[0].role_ids

    await _eventually(recorded)
    assert not (await web.guilds.access(gid, frank)).is_manager, "kept for a few seconds"
    web.clock.advance(seconds=6)
    assert (await web.guilds.access(gid, frank)).is_manager, "Moderator has Manage Server"


async def test_a_rename_in_discord_reaches_a_web_process_at_once_through_notify(full: App, web: App) -> None:
    """The bot process says it wrote (NOTIFY, no Redis here); the web process refreshes then, not at its
    fallback poll half a minute later."""
    world = await fetch_world(full.base_url)
    gid, channel = world.guild_id(), world.channel_id("board-games")
    directory = web.guilds.directory
    assert isinstance(directory, ProjectedDirectory)
    async with httpx.AsyncClient(base_url=f"{full.base_url}/sandbox/api") as api:
        await api.patch(f"/guilds/{gid}/channels/{channel}", json={"name": "dice-night"})

    async def renamed() -> bool:
        guild = directory.guild(gid)
        return guild is not None and guild.channels[channel].name == "dice-night"

    await _eventually(renamed, within=FALLBACK_SECONDS / 3)
