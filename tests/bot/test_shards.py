"""Discord sharding across processes: two bot processes, shard 0 and shard 1 of 2, on one database and one
sandbox, no Redis. Each holds the gateway connection of its shard's guilds: a click in a guild is answered
by the process holding that guild's shard (Discord sends it there alone), and the announcement of a game is
posted and kept up to date by that process, whichever process's dispatcher sees the job first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from discord_sandbox.gateway.sessions import shard_of
from gamesched.app import App, build_app
from gamesched.core.config import Settings
from gamesched.discord import DiscordRefused
from gamesched.serve import run_app
from tests.bot.conftest import announcement, click, ephemeral_text, eventually, roster_lines, serving_bot
from tests.bot.test_two_processes import Claims
from tests.conftest import serving
from tests.games.conftest import create_game
from tests.login import login_as
from tests.world import World, fetch_world

SHARDS = 2


@pytest.fixture
async def discord_host(app_settings: Settings) -> AsyncIterator[App]:
    """A web-only process serving the sandbox Discord (no bot of its own): the shards connect to it."""
    async with serving(app_settings.with_overrides(sandbox=True, roles=frozenset({"web"}))) as app:
        yield app


async def _guild_per_shard(host: App) -> dict[int, dict[str, Any]]:
    """The default Sandbox Guild on its shard, and a guild made for the other shard, with alice, bob and
    the bot in it, so each shard has a guild to play in."""
    async with httpx.AsyncClient(base_url=f"{host.base_url}/sandbox/api") as api:
        world = await fetch_world(host.base_url)
        sandbox_guild = world.guild("Sandbox Guild")
        first_shard = shard_of(int(sandbox_guild["id"]), SHARDS)
        other = 1 - first_shard
        made = await api.post(
            "/guilds",
            json={
                "name": "Far Shard Guild",
                "owner_id": str(world.user_id("alice")),
                "bot": True,
                "shard": [other, SHARDS],
            },
        )
        assert made.status_code == 201, made.text
        bob = await api.put(f"/guilds/{made.json()['id']}/members/{world.user_id('bob')}", json={})
        assert bob.status_code == 200, bob.text
    return {first_shard: sandbox_guild, other: made.json()}


@pytest.fixture
async def shards(
    discord_host: App, app_settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[dict[int, dict[str, Any]], dict[int, App]]]:
    """A guild per shard, and a process for each shard (web, bot and worker roles): ``(guilds, processes)``
    by shard number."""
    guilds = await _guild_per_shard(discord_host)

    def shard_settings(shard: int) -> Settings:
        return app_settings.with_overrides(
            data_dir=tmp_path / f"shard{shard}",
            public_url=discord_host.base_url,
            shard_count=SHARDS,
            shard_ids=(shard,),
        )

    async with (
        serving_bot(shard_settings(0), sandbox_url=discord_host.base_url) as shard0,
        serving_bot(shard_settings(1), sandbox_url=discord_host.base_url) as shard1,
    ):
        yield guilds, {0: shard0, 1: shard1}


async def test_each_shard_process_answers_and_announces_for_its_own_guilds(
    discord_host: App, shards: tuple[dict[int, dict[str, Any]], dict[int, App]]
) -> None:
    guilds, processes = shards
    async with httpx.AsyncClient(base_url=f"{discord_host.base_url}/sandbox/api", timeout=15) as api:
        claims = {shard: Claims(app) for shard, app in processes.items()}
        sessions = [s for s in (await api.get("/gateway")).json() if s["connected"]]
        assert sorted(s["shard"] for s in sessions) == [[0, SHARDS], [1, SHARDS]]
        for shard, app in processes.items():
            assert app.discord.bot is not None
            assert {g.id for g in app.discord.bot.guilds} == {
                int(g["id"])
                for g in (await fetch_world(discord_host.base_url)).raw["guilds"]
                if g["bot_member"] and shard_of(int(g["id"]), SHARDS) == shard
            }

        world = await fetch_world(discord_host.base_url)
        bob = world.user_id("bob")
        for shard, guild in guilds.items():
            app = processes[shard]
            # The game is created on the process of the guild's shard; either process's dispatcher may see
            # its jobs first.
            async with await _logged_in(discord_host, app, "alice") as alice:
                game = await create_game(
                    alice,
                    world,
                    guild_id=guild["id"],
                    channel_id=_channel(world, guild, "general"),
                    title=f"Game on shard {shard}",
                )
            message = await announcement(api, game)

            answer = await click(api, bob, message, f"game:join:{game['id']}")

            assert "You joined" in ephemeral_text(answer) or "seat 1/" in ephemeral_text(answer), answer
            assert answer["interaction_id"] in claims[shard].won
            assert answer["interaction_id"] not in claims[1 - shard].won
            # The refresh after the click runs in the guild's process, which sees the guild: bob is listed.
            await announcement(api, game, where=lambda m: f"1. <@{bob}>" in roster_lines(m, "Players"))

        async def refreshed_by_both() -> bool:
            return all(_refreshes_done(app) > 0 for app in processes.values())

        await eventually(refreshed_by_both)


async def test_a_shard_process_serves_the_other_shards_guilds_from_the_projection(
    discord_host: App, shards: tuple[dict[int, dict[str, Any]], dict[int, App]]
) -> None:
    """Its gateway sees its own shard's guilds only; pages and permission checks about the other shard's
    guilds are answered from what the other process records in the database."""
    guilds, processes = shards
    world = await fetch_world(discord_host.base_url)
    far_shard = next(shard for shard, g in guilds.items() if g["name"] == "Far Shard Guild")
    here, far = processes[1 - far_shard], guilds[far_shard]
    far_id = int(far["id"])
    assert here.discord.bot is not None and here.discord.bot.get_guild(far_id) is None

    async def projected() -> bool:
        return here.guilds.directory.guild(far_id) is not None

    await eventually(projected)
    async with await _logged_in(discord_host, here, "alice") as alice:
        servers = sorted(g["name"] for g in (await alice.get("/api/v1/me")).json()["guilds"])
        guild = (await alice.get(f"/api/v1/guilds/{far_id}")).json()
        form = await alice.get(f"/games/new?guild_id={far_id}", headers={"accept": "text/html"})
    async with await _logged_in(discord_host, here, "frank") as frank:
        stranger = await frank.get(f"/games/new?guild_id={far_id}", headers={"accept": "text/html"})

    assert servers == ["Far Shard Guild", "Sandbox Guild"]
    assert guild["is_manager"] is True, "alice owns the far guild"
    assert form.status_code == 200 and "general" in form.text
    assert stranger.status_code == 404, "frank is not in the far guild"
    assert (await here.guilds.resolve_mentions(far_id, ["@bob"])).entries[0].user_id == world.user_id("bob")


async def test_fewer_shards_than_discord_requires_stop_the_app_saying_what_to_change(
    app_settings: Settings,
) -> None:
    app = await build_app(app_settings.with_overrides(sandbox=True, shard_count=1, shard_ids=(0,)))
    assert app.sandbox is not None
    app.sandbox.gateway.recommended_shards = 2  # the bot is in too many servers for one session
    app.sandbox.gateway.require_sharding = True
    with pytest.raises(DiscordRefused) as refused:
        await asyncio.wait_for(run_app(app, asyncio.Event(), grace_seconds=2), 30)  # stops by itself
    assert "4011" in str(refused.value) and "Raise it" in str(refused.value)
    assert "GAMESCHED_SHARD_COUNT" in str(refused.value)


async def _logged_in(host: App, app: App, username: str) -> httpx.AsyncClient:
    client = await login_as(host.base_url, username)
    assert app.listen_socket is not None
    host_name, port = app.listen_socket.getsockname()[:2]
    client.base_url = httpx.URL(f"http://{host_name}:{port}")
    return client


def _channel(world: World, guild: dict[str, Any], name: str) -> str:
    found = next(c for c in world.guild(guild["name"])["channels"] if c["name"] == name)
    return str(found["id"])


def _refreshes_done(app: App) -> float:
    sample = app.metrics.jobs_handled.labels("games.refresh_announcement", "done")
    return float(sample._value.get())
