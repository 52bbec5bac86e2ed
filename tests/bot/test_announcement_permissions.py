"""Announcements the bot is not allowed to post: the host and a manager are told once, the game page and the
channel's settings say so, and the announcement follows as soon as the permissions do (real bot, sandbox)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from gamesched.app import App
from tests.bot.conftest import (
    Login,
    announcement,
    command,
    dms,
    ephemeral_text,
    eventually,
    field,
    schedule,
)
from tests.world import World

SEND_MESSAGES, EMBED_LINKS, VIEW_CHANNEL = 1 << 11, 1 << 14, 1 << 10
NOT_POSTED = "This game isn't announced in Discord."


async def set_overwrite(
    api: httpx.AsyncClient, channel_id: int, target_id: int, *, kind: int = 0, allow: int = 0, deny: int = 0
) -> None:
    response = await api.put(
        f"/channels/{channel_id}/permissions/{target_id}",
        json={"type": kind, "allow": str(allow), "deny": str(deny)},
    )
    assert response.status_code == 200, response.text


async def page(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path, headers={"accept": "text/html"})
    assert response.status_code == 200, response.text[:300]
    return response.text


async def dm_texts(api: httpx.AsyncClient, user_id: int, containing: str) -> list[str]:
    return [m["content"] for m in await dms(api, user_id) if containing in m["content"]]


async def refused_posts(api: httpx.AsyncClient, channel_id: int) -> int:
    log = (await api.get("/log")).json()
    return sum(
        1 for c in log if c["path"].endswith(f"/channels/{channel_id}/messages") and c["status"] == 403
    )


async def blocked_events(app: App) -> int:
    """How many times a refused announcement was announced to the notifications module (jobs are kept)."""
    async with app.db.uow(bypass_rls=True) as uow:
        found = await uow.session.scalar(
            text("SELECT count(*) FROM jobs WHERE kind LIKE 'event.AnnouncementBlocked.%send_blocked_dms'")
        )
    return int(found or 0)


async def test_a_channel_that_refuses_the_bot_is_reported_and_the_game_announced_once_it_is_lifted(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    guild, rpg, bot_role = world.guild_id(), world.channel_id("rpg"), world.role_id("gamesched")
    alice, carol = world.user_id("alice"), world.user_id("carol")  # the owner; a manager who hosts
    await set_overwrite(api, rpg, bot_role, deny=SEND_MESSAGES)
    await eventually(
        lambda: _async(bot_app.guilds.bot_missing(guild, rpg) == ["send_messages", "embed_links"])
    )

    game = await schedule(login, world, "carol", channel_id=str(rpg), title="Blades in the Dark")

    expected = (
        f"I can't post the announcement of **Blades in the Dark** in <#{rpg}>: give me Send Messages and "
        "Embed Links there. I'll post it as soon as I can."
    )
    for user_id in (carol, alice):
        told = await eventually(lambda user_id=user_id: dm_texts(api, user_id, "I can't post"))
        assert told[0].startswith(expected) and f"/games/{game['id']}\nServer: **Sandbox Guild**" in told[0]
    as_carol, as_alice = await login("carol"), await login("alice")
    game_page = await page(as_carol, f"/games/{game['id']}")
    assert NOT_POSTED in game_page and "give it Send Messages and Embed Links there" in game_page
    settings = await page(as_alice, f"/guilds/{guild}/channels/{rpg}/settings")
    assert "gamesched can't post in #rpg." in settings and "Give it Send Messages and Embed Links" in settings
    assert "bot can't post" in await page(as_alice, f"/guilds/{guild}/settings")
    config = (await command(api, alice, rpg, "config-channel")).json()
    assert f"⚠ I can't post in <#{rpg}>: give me Send Messages and Embed Links there." in ephemeral_text(
        config
    )

    # Refused again (a player joins meanwhile): the same problem, so nobody is told twice.
    joined = await (await login("dave")).post(f"/api/v1/games/{game['id']}/join")
    assert joined.status_code == 200, joined.text
    await eventually(lambda: _ge(refused_posts(api, rpg), 2))

    removed = await api.delete(f"/channels/{rpg}/permissions/{bot_role}")
    assert removed.status_code == 204
    posted = await announcement(api, game)
    assert posted["embeds"] and f"<@{world.user_id('dave')}>" in field(posted, "Players")["value"]  # type: ignore[index]
    await eventually(lambda: _lacks(page(as_carol, f"/games/{game['id']}"), NOT_POSTED))
    # The post is recorded first, then the problem cleared (a moment later, in a transaction of its own).
    await eventually(lambda: _problem_gone(bot_app, guild, game["id"]))
    stored = (await as_carol.get(f"/api/v1/games/{game['id']}")).json()
    assert stored["message_id"] == posted["id"] and stored["announcement_problem"] is None
    assert "✓ gamesched can post in #rpg." in await page(as_alice, f"/guilds/{guild}/channels/{rpg}/settings")
    assert await blocked_events(bot_app) == 1
    assert len(await dm_texts(api, carol, "I can't post")) == 1


async def test_a_post_the_bot_can_no_longer_see_is_updated_once_its_roles_allow_it(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    rpg, bot_id, alice = world.channel_id("rpg"), world.user_id("gamesched"), world.user_id("alice")
    game = await schedule(login, world, channel_id=str(rpg), title="Mothership")
    await announcement(api, game)
    # Players may see #rpg whatever their other roles say; the bot's own role may not.
    await set_overwrite(api, rpg, world.role_id("Player"), allow=VIEW_CHANNEL)
    await set_overwrite(api, rpg, world.role_id("gamesched"), deny=VIEW_CHANNEL)
    await eventually(
        lambda: _async("view_channel" in (bot_app.guilds.bot_missing(world.guild_id(), rpg) or []))
    )

    joined = await (await login("dave")).post(f"/api/v1/games/{game['id']}/join")
    assert joined.status_code == 200, joined.text
    told = await eventually(lambda: dm_texts(api, alice, "I can't update the announcement of **Mothership**"))
    assert f"in <#{rpg}>: give me View Channel" in told[0]
    assert "can't be updated" in await page(await login("alice"), f"/games/{game['id']}")

    roles = [str(world.role_id("gamesched")), str(world.role_id("Player"))]
    assert (await api.put(f"/guilds/{world.guild_id()}/members/{bot_id}", json={"roles": roles})).is_success

    def shows_dave(message: dict[str, Any]) -> bool:
        return f"<@{world.user_id('dave')}>" in (field(message, "Players") or {}).get("value", "")

    await announcement(api, game, where=shows_dave)
    await eventually(lambda: _problem_gone(bot_app, world.guild_id(), game["id"]))


async def test_without_embed_links_the_card_is_missing_until_the_bots_role_gets_it_back(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    guild, bot_role, alice = world.guild_id(), world.role_id("gamesched"), world.user_id("alice")
    roles = {int(r["id"]): int(r["permissions"]) for r in world.guild("Sandbox Guild")["roles"]}
    for role in (bot_role, guild):  # the bot's role and @everyone (whose id is the guild's)
        assert (
            await api.patch(f"/guilds/{guild}/roles/{role}", json={"permissions": roles[role] & ~EMBED_LINKS})
        ).is_success
    board_games = world.channel_id("board-games")
    await eventually(lambda: _async(bot_app.guilds.bot_missing(guild, board_games) == ["embed_links"]))

    game = await schedule(login, world, title="Root")
    bare = await announcement(api, game)
    assert bare["embeds"] == []  # Discord keeps the message and drops the card
    told = await eventually(lambda: dm_texts(api, alice, "lost its details card"))
    assert "give me Embed Links there" in told[0]
    assert "lost its details card" in await page(await login("alice"), f"/games/{game['id']}")

    restored = {"permissions": roles[bot_role]}
    assert (await api.patch(f"/guilds/{guild}/roles/{bot_role}", json=restored)).is_success
    await announcement(api, game, where=lambda m: bool(m["embeds"]))
    await eventually(lambda: _problem_gone(bot_app, guild, game["id"]))


async def _async(value: Any) -> Any:
    return value


async def _ge(count: Any, at_least: int) -> bool:
    return bool(await count >= at_least)


async def _lacks(html: Any, words: str) -> bool:
    return words not in await html


async def _problem_gone(app: App, guild_id: int, game_id: str) -> bool:
    return (await app.games.queries.snapshot(game_id, guild_id=guild_id)).announcement_problem is None
