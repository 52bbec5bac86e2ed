"""Discord events the product handles that only the sandbox's newer events make testable: a guild renamed
(GUILD_UPDATE), announcements removed by a moderator's bulk delete (MESSAGE_DELETE_BULK), and the global
command sync that production uses."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from gamesched.app import App
from tests.bot.conftest import Login, announcement, dms, eventually, schedule
from tests.world import World


async def test_a_renamed_guild_is_renamed_in_gamesched_too(
    bot_app: App, world: World, api: httpx.AsyncClient
) -> None:
    renamed = await api.patch(f"/guilds/{world.guild_id()}", json={"name": "Friday Club"})
    assert renamed.status_code == 200

    async def recorded_name() -> str | None:
        async with bot_app.db.uow(guild_id=world.guild_id()) as uow:
            name = await uow.session.scalar(
                text("SELECT name FROM guilds WHERE id = :id"), {"id": world.guild_id()}
            )
        return name if name == "Friday Club" else None

    assert await eventually(recorded_name) == "Friday Club"
    info = bot_app.guilds.directory.guild(world.guild_id())
    assert info is not None and info.name == "Friday Club"


async def test_announcements_removed_by_a_bulk_delete_are_posted_again_and_hosts_told(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    first = await announcement(api, await schedule(login, world, title="First"))
    second = await announcement(api, await schedule(login, world, title="Second"))
    channel = first["channel_id"]
    deleted = await api.post(
        f"/channels/{channel}/messages/bulk-delete", json={"message_ids": [first["id"], second["id"]]}
    )
    assert deleted.status_code == 204

    async def reposted() -> list[str]:
        messages = (await api.get(f"/channels/{channel}/messages")).json()
        return [m["id"] for m in messages] if len(messages) == 2 else []

    again = await eventually(reposted)
    assert not {first["id"], second["id"]} & set(again)

    async def told() -> list[str]:
        texts = [
            m["content"] for m in await dms(api, world.user_id("alice")) if "was deleted" in m["content"]
        ]
        return texts if len(texts) == 2 else []

    assert {"First", "Second"} == {t.split("**")[1] for t in await eventually(told)}


async def test_the_global_command_sync_registers_every_command(bot_app: App) -> None:
    assert bot_app.discord.bot is not None
    synced = await bot_app.discord.bot.tree.sync()  # what production does (global, not per guild)
    assert sorted(c.name for c in synced) == [
        "config-channel",
        "config-guild",
        "game",
        "list-games",
        "my-games",
        "settings",
    ]
    registered = bot_app.sandbox.state.global_commands.values()
    assert sorted(c["name"] for c in registered) == sorted(c.name for c in synced)
