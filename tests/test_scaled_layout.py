"""The scaled layout end to end: two web processes, two bot processes (shard 0 and shard 1 of 2, each running
the jobs that need its shard's gateway view) and one worker, each a real ``gamesched run`` with its
``GAMESCHED_ROLES``, on one database and one sandbox Discord in a process of its own, no Redis. The sandbox
holds a guild on each shard.

What a deployment behind a load balancer must keep: a login and its pages on either web process, clicks in
every guild answered once, a game created through one web process announced by its guild's shard, reminders
and starts done once, a page open on the other web process told of a change; a shard process killed delays
its own guilds' Discord work only, which is done (once) when it is back.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from benchmarks.harness import fresh_database, sandbox_process
from benchmarks.layout import Deployment, scaled
from benchmarks.reliability.common import APP_SETTINGS, DmWatch, open_dm_channels, release, sql
from discord_sandbox.gateway.sessions import shard_of
from tests.bot.conftest import announcement, buttons, click, ephemeral_text, eventually, messages
from tests.login import login_as
from tests.world import World, fetch_world

#: Five processes start in the first test (the fixture counts toward its timeout).
#: One xdist group: the module-scoped layout is built once, so its tests must share a worker.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300), pytest.mark.xdist_group("scaled_layout")]

SHARDS = 2
CALLBACK = re.compile(r"/interactions/(\d+)/[^/]+/callback$")


@dataclass
class Layout:
    deployment: Deployment
    #: The guild on each shard: the Sandbox Guild on its own, and one made for the other.
    guilds: dict[int, dict[str, Any]]

    @property
    def database(self) -> str:
        return self.deployment.database

    @property
    def api(self) -> httpx.AsyncClient:
        return self.deployment.api

    async def world(self) -> World:
        return await fetch_world(self.deployment.sandbox)

    async def login(self, web: int, username: str) -> httpx.AsyncClient:
        return await login_as(self.deployment.webs[web].base, username, sandbox_url=self.deployment.sandbox)


async def _guild_on_other_shard(api: httpx.AsyncClient) -> dict[int, dict[str, Any]]:
    world = (await api.get("/world")).json()
    users = {u["username"]: u["id"] for u in world["users"]}
    sandbox_guild = next(g for g in world["guilds"] if g["name"] == "Sandbox Guild")
    first = shard_of(int(sandbox_guild["id"]), SHARDS)
    made = await api.post(
        "/guilds",
        json={
            "name": "Far Shard Guild",
            "owner_id": users["alice"],
            "bot": True,
            "shard": [1 - first, SHARDS],
        },
    )
    assert made.status_code == 201, made.text
    await api.put(f"/guilds/{made.json()['id']}/members/{users['bob']}", json={})
    return {first: sandbox_guild, 1 - first: made.json()}


@pytest.fixture(scope="module")
async def layout() -> AsyncIterator[Layout]:
    async with (
        fresh_database("gs_scaled") as database,
        sandbox_process() as sandbox,
        httpx.AsyncClient(base_url=f"{sandbox}/sandbox/api", timeout=30) as api,
    ):
        guilds = await _guild_on_other_shard(api)
        async with scaled(database, sandbox, shards=SHARDS, **APP_SETTINGS) as deployment:
            yield Layout(deployment, guilds)


HTML = {"accept": "text/html"}


def _channel(guild: dict[str, Any], name: str = "general") -> str:
    return str(next(c["id"] for c in guild["channels"] if c["name"] == name))


async def _create(
    client: httpx.AsyncClient, guild: dict[str, Any], title: str, **fields: Any
) -> dict[str, Any]:
    body = {
        "guild_id": str(guild["id"]),
        "channel_id": _channel(guild),
        "title": title,
        "scheduled_at": (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0).isoformat(),
        **fields,
    }
    response = await client.post("/api/v1/games", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _announcements(api: httpx.AsyncClient, game: dict[str, Any]) -> int:
    """How many messages in the game's channel carry its buttons."""
    return sum(
        any(game["id"] in (c.get("custom_id") or "") for c in buttons(m))
        for m in await messages(api, game["channel_id"])
    )


async def test_a_login_and_its_pages_work_on_either_web_process(layout: Layout) -> None:
    far = next(g for g in layout.guilds.values() if g["name"] == "Far Shard Guild")
    async with await layout.login(0, "alice") as on_a, await layout.login(1, "bob") as bob_on_b:
        on_b = httpx.AsyncClient(base_url=layout.deployment.webs[1].base, cookies=on_a.cookies, timeout=10)
        async with on_b:

            async def both_servers_listed() -> bool:
                me = (await on_b.get("/api/v1/me")).json()
                return sorted(g["name"] for g in me["guilds"]) == ["Far Shard Guild", "Sandbox Guild"]

            await eventually(both_servers_listed, within=20)
            home = [await on_a.get("/", headers=HTML), await on_b.get("/", headers=HTML)]
            form = await on_b.get(f"/games/new?guild_id={far['id']}", headers=HTML)
        bob = (await bob_on_b.get("/api/v1/me")).json()

    assert [page.status_code for page in home] == [200, 200], "alice's session is good on both"
    assert form.status_code == 200 and "general" in form.text, "the far shard's guild, from the projection"
    assert bob["user"]["username"] == "bob", "a login through the second process works too"


async def test_a_game_created_on_web_a_is_announced_and_clicks_in_either_shards_guild_answered_once(
    layout: Layout,
) -> None:
    world = await layout.world()
    bob = world.user_id("bob")
    await layout.api.delete("/log")
    answers: dict[int, dict[str, Any]] = {}
    games: dict[int, dict[str, Any]] = {}
    async with await layout.login(0, "alice") as alice:
        for shard, guild in layout.guilds.items():
            games[shard] = await _create(alice, guild, f"Shard {shard} night")
            message = await announcement(layout.api, games[shard], within=30)
            answers[shard] = await click(layout.api, bob, message, f"game:join:{games[shard]['id']}")
        await asyncio.sleep(2)  # a second announcement or answer would be here by now
        rosters = [
            (await alice.get(f"/api/v1/games/{g['id']}")).json()["participants"] for g in games.values()
        ]
    log = (await layout.api.get("/log")).json()
    callbacks = Counter(m[1] for call in log if (m := CALLBACK.search(call["path"])))

    for shard, answer in answers.items():
        assert "You joined" in ephemeral_text(answer) or "seat 1/" in ephemeral_text(answer), answer
        assert callbacks[answer["interaction_id"]] == 1, f"shard {shard}'s click answered once"
        assert await _announcements(layout.api, games[shard]) == 1
    assert all([p["discord_id"] for p in roster] == [str(bob)] for roster in rosters), "bob is in both"


async def test_a_page_open_on_web_b_hears_of_a_join_made_through_web_a(layout: Layout) -> None:
    guild = layout.guilds[1]
    async with await layout.login(0, "alice") as alice, await layout.login(0, "bob") as bob:
        game = await _create(alice, guild, "Live night")
        on_b = httpx.AsyncClient(base_url=layout.deployment.webs[1].base, cookies=alice.cookies, timeout=15)
        async with (
            on_b,
            on_b.stream(
                "GET", f"/games/{game['id']}/live", headers={"accept": "text/event-stream"}
            ) as stream,
        ):
            lines = stream.aiter_lines()
            assert stream.status_code == 200 and (await anext(lines)).startswith(": listening")
            assert (await bob.post(f"/api/v1/games/{game['id']}/join")).status_code == 200

            async def next_event() -> str:
                async for line in lines:
                    if line.startswith("event:"):
                        return line
                return ""

            assert await asyncio.wait_for(next_event(), 15) == "event: changed"


async def test_reminders_and_starts_in_both_shards_guilds_happen_once(layout: Layout) -> None:
    async with await layout.login(1, "alice") as alice:
        games = [
            await _create(
                alice, guild, f"remind {shard}", reminder_minutes=[60], initial_participants=["@bob"]
            )
            for shard, guild in layout.guilds.items()
        ]
        watch = DmWatch(layout.api, "remind")
        await open_dm_channels(layout.database)
        await release(layout.database, games, datetime.now(UTC))
        await watch.settle(layout.database, {"remind": 2 * len(games)}, within=60)

        keys = [f"game:{g['id']}:%" for g in games]
        await sql(
            layout.database,
            "UPDATE jobs SET due_at = now() WHERE kind = 'games.start' AND state = 'pending'"
            " AND dedupe_key LIKE ANY($1::text[])",
            keys,
        )

        async def started() -> bool:
            listed = [(await alice.get(f"/api/v1/games/{g['id']}")).json() for g in games]
            return all(g["status"] == "in_progress" for g in listed)

        await eventually(started, within=30, every=0.2)
    await asyncio.sleep(1)
    changes = await sql(
        layout.database,
        "SELECT kind, payload->>'game_id' AS game, count(*) AS n FROM jobs"
        " WHERE kind LIKE 'event.GameStatusChanged.%' AND payload->>'status' = 'in_progress'"
        " AND payload->>'game_id' = ANY($1::text[]) GROUP BY kind, payload->>'game_id'",
        [g["id"] for g in games],
    )

    assert watch.delivered("remind") == 4, "alice and bob reminded of each game"
    assert watch.doubled("remind") == 0
    assert {row["game"] for row in changes} == {g["id"] for g in games}
    assert all(row["n"] == 1 for row in changes), "each game started once"


async def test_a_killed_shard_delays_only_its_own_guilds_and_catches_up_when_back(layout: Layout) -> None:
    down = next(shard for shard, g in layout.guilds.items() if g["name"] == "Far Shard Guild")
    up = 1 - down
    layout.deployment.shards[down].kill()
    await layout.deployment.shards[down].process.wait()

    async def disconnected() -> bool:
        sessions = (await layout.api.get("/gateway")).json()
        return not any(s["connected"] and s["shard"] == [down, SHARDS] for s in sessions)

    await eventually(disconnected, within=20)
    async with await layout.login(0, "alice") as alice:
        late = await _create(alice, layout.guilds[down], "Down shard night")
        prompt = await _create(alice, layout.guilds[up], "Up shard night")
        await announcement(layout.api, prompt, within=30)
        await asyncio.sleep(1)
        waiting = await sql(
            layout.database,
            "SELECT count(*) FROM jobs WHERE kind = 'games.refresh_announcement' AND state = 'pending'"
            " AND guild_id = $1",
            int(layout.guilds[down]["id"]),
        )
        assert await _announcements(layout.api, late) == 0, "the down shard's guild waits"
        assert waiting[0][0] >= 1, "its announcement is queued for the shard's process"

        await layout.deployment.start_shard(down)
        message = await announcement(layout.api, late, within=30)
        answer = await click(
            layout.api, (await layout.world()).user_id("bob"), message, f"game:join:{late['id']}"
        )
        await asyncio.sleep(2)  # a second announcement would be here by now

    assert "You joined" in ephemeral_text(answer) or "seat 1/" in ephemeral_text(answer), answer
    assert await _announcements(layout.api, late) == 1
    assert await _announcements(layout.api, prompt) == 1
