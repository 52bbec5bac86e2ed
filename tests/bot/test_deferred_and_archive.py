"""The deferred announcement, the rewards spoiler, the host's rewards DM and archiving, end to end: the real
bot against the sandbox, on a FakeClock (time passes only when the test says, so "not yet" is checked
without waiting)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text as sql

from gamesched.app import App
from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from tests.bot.conftest import (
    Login,
    announcement,
    buttons,
    command,
    dms,
    ephemeral_text,
    eventually,
    field,
    messages,
    schedule,
    serving_bot,
)
from tests.world import World, fetch_world

_BUSY = sql("SELECT count(*) FROM jobs WHERE state = 'running' OR (state = 'pending' AND due_at <= :now)")


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def bot_app(app_settings: Settings, fake_clock: FakeClock) -> AsyncIterator[App]:
    async with serving_bot(app_settings, join_dm_delay=60, clock=fake_clock) as app:
        yield app


async def _settle(app: App, clock: FakeClock) -> None:
    """Run everything due now, and what that queues, to the end (the jobs table is the judge)."""
    while True:
        await app.dispatcher.run_due()
        async with app.db.uow(bypass_rls=True) as uow:
            busy = await uow.session.scalar(_BUSY, {"now": clock.now()})
        if not busy:
            return
        await asyncio.sleep(0.02)


async def _pass(app: App, clock: FakeClock, **delta: float) -> None:
    """Let time go by, and run what came due (the announcement refresh comes a moment after its event)."""
    clock.advance(**delta)
    await _settle(app, clock)
    clock.advance(seconds=1)
    await _settle(app, clock)


def _at(clock: FakeClock, **delta: float) -> str:
    return (clock.now() + timedelta(**delta)).isoformat()


async def _announcements(api: httpx.AsyncClient, channel_id: int | str, title: str) -> list[dict[str, Any]]:
    return [m for m in await messages(api, channel_id) if m["embeds"] and m["embeds"][0]["title"] == title]


async def test_a_deferred_game_is_posted_at_its_time_and_its_players_told_then(
    bot_app: App, fake_clock: FakeClock, login: Login, api: httpx.AsyncClient
) -> None:
    world = await fetch_world(bot_app.base_url)
    game = await schedule(
        login,
        world,
        title="Later game",
        post_at=_at(fake_clock, hours=1),
        scheduled_at=_at(fake_clock, days=2),
        initial_participants=["@bob"],
    )
    alice = await login("alice")
    moved = await alice.patch(f"/api/v1/games/{game['id']}", json={"location": "The attic"})
    assert moved.status_code == 200, moved.text  # no "has changed" DM: bob was not told of the game yet
    await _pass(bot_app, fake_clock, minutes=59)
    assert await _announcements(api, game["channel_id"], "Later game") == []
    assert "Later game" not in await _list_games(api, world, "dave")  # a plain member
    assert "Later game" in await _list_games(api, world, "alice")  # its host (and a manager)
    await _pass(bot_app, fake_clock, seconds=70)  # past the join DM's delay too: nothing to tell yet
    assert not [m for m in await dms(api, world.user_id("bob")) if "Later game" in m["content"]]

    await _pass(bot_app, fake_clock, minutes=1)  # post_at
    message = await announcement(api, game)
    assert f"game:join:{game['id']}" in [b.get("custom_id") for b in buttons(message)]
    await _pass(bot_app, fake_clock, seconds=61)
    told = await eventually(lambda: _dms_about(api, world, "bob", "Later game"))
    assert told
    async with await login("dave") as dave:
        assert (await dave.get(f"/api/v1/games/{game['id']}")).status_code == 200
    await _pass(bot_app, fake_clock, minutes=5)  # the post row ran once: no second announcement
    assert len(await _announcements(api, game["channel_id"], "Later game")) == 1


async def _list_games(api: httpx.AsyncClient, world: World, who: str) -> str:
    response = await command(
        api, world.user_id(who), world.channel_id("board-games"), "list-games", show_all=True
    )
    assert response.status_code == 200, response.text
    return json.dumps(response.json())


async def _dms_about(api: httpx.AsyncClient, world: World, who: str, title: str) -> list[str]:
    return [m["content"] for m in await dms(api, world.user_id(who)) if title in m["content"]]


async def test_post_now_announces_at_once(
    bot_app: App, fake_clock: FakeClock, login: Login, api: httpx.AsyncClient
) -> None:
    world = await fetch_world(bot_app.base_url)
    game = await schedule(
        login, world, title="Soon", post_at=_at(fake_clock, days=1), scheduled_at=_at(fake_clock, days=2)
    )
    await _pass(bot_app, fake_clock, seconds=5)
    assert await _announcements(api, game["channel_id"], "Soon") == []
    alice = await login("alice")
    assert (await alice.post(f"/api/v1/games/{game['id']}/post")).status_code == 200
    await _pass(bot_app, fake_clock, seconds=1)
    await announcement(api, game)


async def test_a_completed_game_shows_its_rewards_as_a_spoiler_and_is_archived_without_buttons(
    bot_app: App, fake_clock: FakeClock, login: Login, api: httpx.AsyncClient
) -> None:
    world = await fetch_world(bot_app.base_url)
    archive = world.channel_id("archive")
    game = await schedule(
        login,
        world,
        title="Dragon hunt",
        scheduled_at=_at(fake_clock, hours=1),
        duration_minutes=60,
        rewards="A dragon egg",
        archive_delay_minutes=30,
        archive_channel_id=str(archive),
    )
    await _pass(bot_app, fake_clock, seconds=1)
    posted = await announcement(api, game)
    assert field(posted, "Rewards") is None  # not before the game is over

    await _pass(bot_app, fake_clock, hours=2)  # started, then ended
    over = await announcement(api, game, where=lambda m: field(m, "Rewards") is not None)
    assert field(over, "Rewards") == {"name": "Rewards", "value": "||A dragon egg||", "inline": False}
    assert await _announcements(api, archive, "Dragon hunt") == []

    await _pass(bot_app, fake_clock, minutes=30)
    [archived] = await eventually(lambda: _announcements(api, archive, "Dragon hunt"))
    assert archived["components"] == []
    assert archived["embeds"][0]["footer"]["text"] == "Status: Archived"
    assert field(archived, "Rewards")["value"] == "||A dragon egg||"  # type: ignore[index]
    assert await eventually(lambda: _gone(api, game["channel_id"], "Dragon hunt"))
    alice = await login("alice")
    assert (await alice.get(f"/api/v1/games/{game['id']}")).json()["status"] == "archived"
    await _pass(bot_app, fake_clock, minutes=5)  # nothing is re-posted
    assert len(await _announcements(api, archive, "Dragon hunt")) == 1


async def _gone(api: httpx.AsyncClient, channel_id: str, title: str) -> bool:
    return not await _announcements(api, channel_id, title)


async def test_the_host_is_reminded_of_the_rewards_and_saving_them_archives_the_game(
    bot_app: App, fake_clock: FakeClock, login: Login, api: httpx.AsyncClient
) -> None:
    world = await fetch_world(bot_app.base_url)
    archive = world.channel_id("archive")
    game = await schedule(
        login,
        world,
        title="Heist",
        scheduled_at=_at(fake_clock, hours=1),
        duration_minutes=60,
        remind_rewards=True,
        archive_delay_minutes=10,
        archive_channel_id=str(archive),
    )
    await _pass(bot_app, fake_clock, seconds=1)
    await announcement(api, game)
    await _pass(bot_app, fake_clock, hours=2)
    [reminder] = await eventually(lambda: _dms_about(api, world, "alice", "Heist"))
    assert "add the rewards" in reminder
    assert f"/games/{game['id']}#rewards" in reminder

    await _pass(bot_app, fake_clock, minutes=15)  # the delay passed, but the archive waits for the rewards
    alice = await login("alice")
    assert (await alice.get(f"/api/v1/games/{game['id']}")).json()["status"] == "completed"
    assert await _announcements(api, archive, "Heist") == []

    saved = await alice.put(f"/api/v1/games/{game['id']}/rewards", json={"rewards": "The crown jewels"})
    assert saved.status_code == 200 and saved.json()["status"] == "archived"
    await _pass(bot_app, fake_clock, seconds=1)
    [archived] = await eventually(lambda: _announcements(api, archive, "Heist"))
    assert field(archived, "Rewards")["value"] == "||The crown jewels||"  # type: ignore[index]
    assert archived["components"] == []


async def test_game_create_in_discord_takes_an_announcement_time(
    bot_app: App, fake_clock: FakeClock, login: Login, api: httpx.AsyncClient
) -> None:
    world = await fetch_world(bot_app.base_url)
    alice, channel = world.user_id("alice"), world.channel_id("rpg")
    start = (fake_clock.now() + timedelta(days=3)).replace(second=0)
    post = start - timedelta(days=1)

    async def submit(values: dict[str, str]) -> str:
        # A form is open until it is answered: each submission opens it first, as a member would.
        opened = (await command(api, alice, channel, "game create")).json()
        form = opened["response"]["data"]
        response = await api.post(
            "/interactions",
            json={
                "type": "modal",
                "user_id": str(alice),
                "channel_id": str(channel),
                "custom_id": form["custom_id"],
                "values": values,
            },
        )
        assert response.status_code == 200, response.text
        return ephemeral_text(response.json())

    late = await submit(
        {"title": "Too late", "when": start.strftime("%Y-%m-%d %H:%M"), "post_at": "2099-01-01 10:00"}
    )
    assert "The announcement must be posted before the game starts." in late
    done = await submit(
        {
            "title": "Quiet one",
            "when": start.strftime("%Y-%m-%d %H:%M"),
            "post_at": post.strftime("%Y-%m-%d %H:%M"),
        }
    )
    assert f"It will be announced in <#{channel}> <t:{int(post.timestamp())}:F>" in done
    await _pass(bot_app, fake_clock, seconds=5)
    assert await _announcements(api, channel, "Quiet one") == []
    await _pass(bot_app, fake_clock, days=2)
    assert len(await eventually(lambda: _announcements(api, channel, "Quiet one"))) == 1


async def test_a_completed_games_archive_settings_still_change_and_move_the_archive(
    bot_app: App, fake_clock: FakeClock, login: Login, api: httpx.AsyncClient
) -> None:
    world = await fetch_world(bot_app.base_url)
    archive, rpg = world.channel_id("archive"), world.channel_id("rpg")
    game = await schedule(
        login, world, title="Siege", scheduled_at=_at(fake_clock, hours=1), duration_minutes=60
    )
    other = await schedule(
        login, world, title="Raid", scheduled_at=_at(fake_clock, hours=1), duration_minutes=60
    )
    await _pass(bot_app, fake_clock, seconds=1)
    await announcement(api, game)
    await _pass(bot_app, fake_clock, hours=2, minutes=1)  # both over, never to be archived (no delay)
    alice = await login("alice")
    path = f"/api/v1/games/{game['id']}/rewards"
    assert (await alice.get(f"/api/v1/games/{game['id']}")).json()["status"] == "completed"

    # Given a delay after the game ended, it is archived when that comes, in the channel chosen now.
    later = await alice.put(path, json={"archive_delay_minutes": 30, "archive_channel_id": str(archive)})
    assert later.status_code == 200, later.text
    assert (later.json()["status"], later.json()["archive_delay_minutes"]) == ("completed", 30)
    planned = (await alice.get(f"/api/v1/games/{game['id']}")).json()["schedule"]
    assert [s["kind"] for s in planned] == ["archive"]
    foreign = await alice.put(
        path, json={"archive_channel_id": str(world.channel_id("lobby", guild="Other Guild"))}
    )
    assert foreign.status_code == 422 and foreign.json()["field"] == "archive_channel_id"
    elsewhere = await alice.put(path, json={"archive_channel_id": str(rpg)})
    assert elsewhere.json()["archive_channel_id"] == str(rpg)
    await _pass(bot_app, fake_clock, minutes=10)
    assert (await alice.get(f"/api/v1/games/{game['id']}")).json()["status"] == "completed"
    await _pass(bot_app, fake_clock, minutes=25)
    assert (await alice.get(f"/api/v1/games/{game['id']}")).json()["status"] == "archived"
    [archived] = await eventually(lambda: _announcements(api, rpg, "Siege"))
    assert archived["components"] == []
    refused = await alice.put(path, json={"archive_delay_minutes": 5})
    assert refused.status_code == 409 and "archived already" in refused.json()["message"]

    # A delay that has passed already archives on saving.
    now = await alice.put(f"/api/v1/games/{other['id']}/rewards", json={"archive_delay_minutes": 0})
    assert now.status_code == 200 and now.json()["status"] == "archived"


async def test_game_post_in_discord_announces_a_waiting_game_now(
    bot_app: App, fake_clock: FakeClock, login: Login, api: httpx.AsyncClient
) -> None:
    world = await fetch_world(bot_app.base_url)
    channel = world.channel_id("board-games")
    alice, bob = world.user_id("alice"), world.user_id("bob")
    game = await schedule(
        login,
        world,
        title="Hidden gem",
        scheduled_at=_at(fake_clock, days=3),
        post_at=_at(fake_clock, days=2),
    )
    await schedule(login, world, title="Open table", scheduled_at=_at(fake_clock, days=3))

    async def suggested(user_id: int) -> list[dict[str, Any]]:
        answer = await api.post(
            "/interactions",
            json={
                "type": "autocomplete",
                "user_id": str(user_id),
                "channel_id": str(channel),
                "name": "game post",
                "options": {"game": ""},
                "focused": "game",
            },
        )
        assert answer.status_code == 200, answer.text
        return list(answer.json()["response"]["data"]["choices"])

    # Only the waiting game, and only for its host (and managers).
    assert [c["value"] for c in await suggested(alice)] == [game["id"]]
    assert await suggested(bob) == []
    refused = (await command(api, bob, channel, "game post", game="Hidden gem")).json()
    assert "No game called 'Hidden gem' here is yours" in ephemeral_text(refused)
    await _pass(bot_app, fake_clock, seconds=5)
    assert await _announcements(api, channel, "Hidden gem") == []

    posted = (await command(api, alice, channel, "game post", game=game["id"])).json()
    assert "Posting **Hidden gem**" in ephemeral_text(posted)
    assert f"<#{channel}>" in ephemeral_text(posted)
    await _pass(bot_app, fake_clock, seconds=5)
    assert len(await eventually(lambda: _announcements(api, channel, "Hidden gem"))) == 1
    again = (await command(api, alice, channel, "game post", game="Hidden gem")).json()
    assert "waiting for its announcement" in ephemeral_text(again)  # announced already
