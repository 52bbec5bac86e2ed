"""The guilds module against the real discord.py bot in the sandbox: sync, members, mentions, names."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select

from gamesched.app import App
from gamesched.core.config import Settings
from gamesched.guilds.models import Channel, Guild
from tests.conftest import serving, wait_for_discord
from tests.world import fetch_world


async def _rows(app: App, model: type, **where: int) -> list:  # type: ignore[type-arg]
    async with app.db.uow(bypass_rls=True) as uow:
        query = select(model).filter_by(**where)
        return list((await uow.session.scalars(query)).all())


async def _eventually(check, within: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_bot_ready_records_guilds_and_channels(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    guilds = {g.name: g for g in await _rows(sandbox_app, Guild)}
    assert set(guilds) == {"Sandbox Guild", "Other Guild"}
    assert guilds["Sandbox Guild"].owner_id == world.user_id("alice")
    names = {c.name for c in await _rows(sandbox_app, Channel, guild_id=world.guild_id())}
    assert {"general", "board-games", "rpg", "archive"} <= names


async def test_channel_created_and_deleted_in_discord_follows(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid = world.guild_id()
    async with httpx.AsyncClient(base_url=sandbox_app.base_url) as client:
        created = (
            await client.post(f"/sandbox/api/guilds/{gid}/channels", json={"name": "ttrpg", "type": 0})
        ).json()
        cid = int(created["id"])

        async def recorded() -> bool:
            return any(c.id == cid and c.present for c in await _rows(sandbox_app, Channel, guild_id=gid))

        await _eventually(recorded)
        await client.delete(f"/sandbox/api/guilds/{gid}/channels/{cid}")

        async def gone() -> bool:
            return any(c.id == cid and not c.present for c in await _rows(sandbox_app, Channel, guild_id=gid))

        await _eventually(gone)


async def test_access_for_members_and_404_for_strangers(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    guilds = sandbox_app.guilds
    alice = await guilds.access(world.guild_id(), world.user_id("alice"))
    assert alice.is_owner and alice.is_manager and alice.can_host
    carol = await guilds.access(world.guild_id(), world.user_id("carol"))  # Moderator: Manage Server
    assert carol.is_manager
    frank = await guilds.access(world.guild_id(), world.user_id("frank"))
    assert not frank.is_manager and not frank.can_host
    from gamesched.core.errors import NotFound

    try:
        await guilds.access(world.guild_id("Other Guild"), world.user_id("alice"))
    except NotFound as exc:
        assert "not a member" in exc.message
    else:
        raise AssertionError("alice is not in Other Guild")


async def test_display_names_prefer_nick_then_global_name_and_mark_people_who_left(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid = world.guild_id()
    names = await sandbox_app.guilds.display_members(
        gid, [world.user_id("bob"), world.user_id("dave"), world.user_id("trent")]
    )
    assert names[world.user_id("bob")].display_name == "Bobby"
    assert names[world.user_id("dave")].display_name == "Dave Dunn"
    assert names[world.user_id("trent")].display_name == "Unknown user"
    assert names[world.user_id("trent")].present is False


async def test_mentions_resolve_by_username_global_name_or_nick(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid = world.guild_id()
    result = await sandbox_app.guilds.resolve_mentions(
        gid, ["@alice", "@Bobby", f"<@{world.user_id('carol')}>", "Reserved", "  ", "Guest of Dave"]
    )
    assert result.invalid == []
    assert [(e.user_id, e.placeholder) for e in result.entries] == [
        (world.user_id("alice"), None),
        (world.user_id("bob"), None),
        (world.user_id("carol"), None),
        (None, "Reserved"),
        (None, "Guest of Dave"),
    ]


async def test_unknown_and_ambiguous_mentions_explain_and_suggest(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    gid = world.guild_id()
    async with httpx.AsyncClient(base_url=sandbox_app.base_url) as client:
        for name in ("dana", "danny"):
            user = (
                await client.post("/sandbox/api/users", json={"username": name, "global_name": "Dan"})
            ).json()
            await client.put(f"/sandbox/api/guilds/{gid}/members/{user['id']}", json={})
    result = await sandbox_app.guilds.resolve_mentions(gid, ["@da", "@Dan", "@zed", "@alice", "@alice"])
    by_input = {m.input: m for m in result.invalid}
    assert set(by_input) == {"@da", "@Dan", "@zed", "@alice"}
    assert {s.username for s in by_input["@da"].suggestions} >= {"dana", "danny", "dave"}
    assert "2 members" in by_input["@Dan"].reason
    assert {s.username for s in by_input["@Dan"].suggestions} == {"dana", "danny"}
    assert by_input["@zed"].suggestions == []
    assert "already in the list" in by_input["@alice"].reason


async def test_suggestions_are_similar_names_and_never_an_empty_did_you_mean(sandbox_app: App) -> None:
    """A typo or an extra letter still finds the member (not only name prefixes), over username, global
    name and nick; with no one alike there is no "did you mean"."""
    world = await fetch_world(sandbox_app.base_url)
    result = await sandbox_app.guilds.resolve_mentions(
        world.guild_id(), ["@erinn", "@heid", "@Erin the Bld", "@zed"]
    )
    by_input = {m.input: m for m in result.invalid}
    assert [s.username for s in by_input["@erinn"].suggestions][:1] == ["erin"]
    assert [s.username for s in by_input["@heid"].suggestions][:1] == ["heidi"]
    assert [s.username for s in by_input["@Erin the Bld"].suggestions][:1] == ["erin"]
    for item in result.invalid:
        assert ("Did you mean" in item.reason) == bool(item.suggestions), item
    assert by_input["@zed"].suggestions == [] and "Did you mean" not in by_input["@zed"].reason


async def test_with_the_members_intent_names_come_from_the_gateway_cache(app_settings: Settings) -> None:
    settings = app_settings.with_overrides(sandbox=True, discord_members_intent=True)
    async with serving(settings) as app:
        await wait_for_discord(app)
        world = await fetch_world(app.base_url)
        gid, erin = world.guild_id(), world.user_id("erin")
        rest_calls_before = await _member_rest_calls(app)
        result = await app.guilds.resolve_mentions(gid, ["@Erin the Bold", "@grace"])
        names = await app.guilds.display_members(gid, [erin])
        assert result.invalid == []
        assert [e.user_id for e in result.entries] == [erin, world.user_id("grace")]
        assert names[erin].display_name == "Erin the Bold"
        assert await _member_rest_calls(app) == rest_calls_before, "no member REST calls with the intent"

        async with httpx.AsyncClient(base_url=app.base_url) as client:
            await client.delete(f"/sandbox/api/guilds/{gid}/members/{erin}")

        async def erin_gone() -> bool:
            return (await app.guilds.display_members(gid, [erin]))[erin].display_name == "Unknown user"

        await _eventually(erin_gone)


async def test_with_the_members_intent_a_new_nick_is_shown_as_soon_as_the_bot_has_seen_it(
    app_settings: Settings,
) -> None:
    """What is read from the gateway's cached members is kept between reads, and dropped when a member
    changes: discord.py updates the cached member in place."""
    async with serving(app_settings.with_overrides(sandbox=True, discord_members_intent=True)) as app:
        await wait_for_discord(app)
        world = await fetch_world(app.base_url)
        gid, bob = world.guild_id(), world.user_id("bob")
        assert app.discord.bot is not None
        guild = app.discord.bot.get_guild(gid)
        assert guild is not None and guild.chunked, "the members come from the gateway's cache"
        for _ in range(2):  # the second read is answered from what the first one kept
            assert (await app.guilds.display_members(gid, [bob]))[bob].display_name == "Bobby"

        async with httpx.AsyncClient(base_url=f"{app.base_url}/sandbox/api") as api:
            roles = [str(r.id) for r in guild.get_member(bob).roles if r != guild.default_role]  # type: ignore[union-attr]
            renamed = await api.put(f"/guilds/{gid}/members/{bob}", json={"nick": "Roberto", "roles": roles})
            assert renamed.is_success

        async def seen_by_the_bot() -> bool:
            cached = guild.get_member(bob)
            return cached is not None and cached.nick == "Roberto"

        await _eventually(seen_by_the_bot)
        assert (await app.guilds.display_members(gid, [bob]))[bob].display_name == "Roberto"


async def _member_rest_calls(app: App) -> int:
    async with httpx.AsyncClient(base_url=app.base_url) as client:
        log = (await client.get("/sandbox/api/log")).json()
    return sum(1 for call in log if "/members" in call["path"] and "/sandbox/api" not in call["path"])
