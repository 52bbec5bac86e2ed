"""Three app processes on one database and one sandbox Discord: everything happens once.

Three ``gamesched run`` processes share a database and connect their bots to one sandbox (in a fourth
process), so Discord sends every interaction to the three of them and their dispatchers race for every
job. Games are created with a deferred announcement a few seconds ahead (``post_at``: the three race to
post it), a storm of Join clicks hits a 10-seat game, the games' reminders come due in the same second and
then their start. Checked: each game announced once; each click answered exactly once (the REST log's
callbacks per interaction, none refused as already answered), none failed, the roster exactly the clicks';
each reminder DM sent once; each game moved to in progress once (one status-change event per game).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from benchmarks.harness import running_app
from benchmarks.reliability.common import (
    APP_SETTINGS,
    PLAYERS,
    DmWatch,
    Verdict,
    announcement,
    click,
    create_game,
    eventually,
    open_dm_channels,
    release,
    sandbox_guild,
    scenario_world,
    sql,
)
from benchmarks.reminders import new_members
from tests.login import login_as

PROCESSES = 3
SEATS = 10
POST_AHEAD_SECONDS = 8
CALLBACK = re.compile(r"/interactions/(\d+)/[^/]+/callback$")


async def _click(
    api: httpx.AsyncClient, user_id: str, message: dict[str, Any], custom_id: str
) -> dict[str, Any]:
    response = await click(api, user_id, message, custom_id)
    return {"status": response.status_code, **(response.json() if response.status_code == 200 else {})}


async def run(*, quick: bool = False) -> Verdict:
    games, clickers = (10, 30) if quick else (30, 60)
    expected = games * (PLAYERS + 1)
    verdict = Verdict(
        f"{PROCESSES} app processes on one database: {games} games, {clickers} clicks, {expected} DMs"
    )
    async with (
        scenario_world("gs_rel_processes") as (database, sandbox, api),
        contextlib.AsyncExitStack() as stack,
    ):
        apps = [await stack.enter_async_context(running_app(database, sandbox_url=sandbox, **APP_SETTINGS))]
        apps += await asyncio.gather(
            *(
                stack.enter_async_context(running_app(database, sandbox_url=sandbox, **APP_SETTINGS))
                for _ in range(PROCESSES - 1)
            )
        )
        connected = sum(s["connected"] for s in (await api.get("/gateway")).json())
        guild, channel = await sandbox_guild(api)
        names = await new_members(api, guild["id"], games * PLAYERS + clickers, "procp")
        ids = {u["username"]: u["id"] for u in (await api.get("/world")).json()["users"]}
        post_at = datetime.now(UTC) + timedelta(seconds=POST_AHEAD_SECONDS + games * 0.3)
        created: list[dict[str, Any]] = []
        async with await login_as(apps[0].base, "alice", sandbox_url=sandbox) as alice:
            when = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
            for g in range(games):
                body = {
                    "guild_id": guild["id"],
                    "channel_id": channel,
                    "title": f"proc {g}",
                    "scheduled_at": when,
                    "post_at": post_at.isoformat(),
                    "reminder_minutes": [60],
                    "initial_participants": [f"@{n}" for n in names[g * PLAYERS : (g + 1) * PLAYERS]],
                }
                created.append(await create_game(alice, body))
            storm_body = {
                "guild_id": guild["id"],
                "channel_id": channel,
                "title": "Three-process night",
                "scheduled_at": when,
                "max_players": SEATS,
                "reminder_minutes": [],
            }
            storm_game = await create_game(alice, storm_body)

            async def announcements() -> Counter[str]:
                titles: Counter[str] = Counter()
                for message in (await api.get(f"/channels/{channel}/messages")).json():
                    if message["author_id"] == str((await api.get("/world")).json()["bot_user"]["id"]):
                        for embed in message.get("embeds") or []:
                            titles[embed.get("title", "")] += 1
                return titles

            message = await announcement(api, channel, storm_game["id"])
            await api.delete("/log")
            join = f"game:join:{storm_game['id']}"
            storm = [ids[n] for n in names[games * PLAYERS :]]
            answers = await asyncio.gather(*(_click(api, u, message, join) for u in storm))
            log = (await api.get("/log")).json()
            roster = (await alice.get(f"/api/v1/games/{storm_game['id']}")).json()["participants"]

            async def all_posted() -> Counter[str] | None:
                titles = await announcements()
                return titles if all(titles[f"proc {g}"] for g in range(games)) else None

            await asyncio.sleep(max(0.0, (post_at - datetime.now(UTC)).total_seconds()))
            await eventually(all_posted, within=60)
            await asyncio.sleep(3)  # a second announcement would be posted by now
            titles = await announcements()

            await open_dm_channels(database)
            watch = DmWatch(api, "proc")
            await release(database, created, datetime.now(UTC) + timedelta(seconds=1))
            began = time.monotonic()
            await watch.settle(database, {"proc": expected})
            wave_took = time.monotonic() - began

            keys = [f"game:{g['id']}:%" for g in created]
            await sql(
                database,
                "UPDATE jobs SET due_at = now() WHERE kind = 'games.start' AND state = 'pending'"
                " AND dedupe_key LIKE ANY($1::text[])",
                keys,
            )

            async def all_started() -> bool:
                listed = await asyncio.gather(*(alice.get(f"/api/v1/games/{g['id']}") for g in created))
                return all(r.json()["status"] == "in_progress" for r in listed)

            started = await eventually(all_started, within=60, every=0.5)
            await asyncio.sleep(2)
            changes = await sql(
                database,
                "SELECT kind, payload->>'game_id' AS game, count(*) AS n FROM jobs"
                " WHERE kind LIKE 'event.GameStatusChanged.%' AND payload->>'status' = 'in_progress'"
                " GROUP BY kind, payload->>'game_id'",
            )
        failed = (await api.get("/interactions/failed")).json()

    callbacks = [(m[1], call["status"]) for call in log if (m := CALLBACK.search(call["path"]))]
    per_interaction = Counter(i for i, _ in callbacks)
    answered = [a for a in answers if a["status"] == 200]
    refused = [s for _, s in callbacks if s >= 400]
    twice = [i for i, n in per_interaction.items() if n > 1]
    confirmed = sum(p["status"] == "confirmed" for p in roster)
    doubled_posts = {t: n for t, n in titles.items() if t.startswith("proc ") and n > 1}
    handlers = {row["kind"] for row in changes}
    doubled_changes = [row for row in changes if row["n"] > 1]
    changed_games = {row["game"] for row in changes}
    verdict.count(f"{connected} bots connected to the one sandbox")
    verdict.count(
        f"{games} deferred announcements: {sum(titles[f'proc {g}'] for g in range(games))} posted,"
        f" {sum(n - 1 for n in doubled_posts.values())} doubled"
    )
    verdict.count(
        f"{clickers} clicks: {len(answered)} answered, {len(callbacks)} callbacks, {len(twice)} answered twice,"
        f" {len(refused)} refused by Discord, {len(failed)} failed; roster {confirmed} + {len(roster) - confirmed}"
    )
    watch.judge(verdict, "proc", expected, name=f"reminders ({wave_took:.1f} s)")
    verdict.count(
        f"starts: {len(changed_games)} of {games} games in progress with {len(handlers)} handler(s) each,"
        f" {len(doubled_changes)} doubled"
    )
    verdict.check(connected == PROCESSES, f"{connected} bots connected, {PROCESSES} expected")
    verdict.check(not doubled_posts, f"games announced more than once: {doubled_posts}")
    verdict.check(all(titles[f"proc {g}"] == 1 for g in range(games)), "a game was not announced")
    verdict.check(len(answered) == clickers, f"{clickers - len(answered)} clicks got no answer")
    verdict.check(not twice and not refused, f"{len(twice)} answered twice, {len(refused)} callbacks refused")
    verdict.check(not failed, f"{len(failed)} interactions failed")
    verdict.check(
        confirmed == SEATS and len(roster) == clickers, f"roster {confirmed} + {len(roster) - confirmed}"
    )
    verdict.check(bool(started), "not every game moved to in progress")
    verdict.check(
        len(changed_games) == games, f"{len(changed_games)} games have a start event, {games} expected"
    )
    verdict.check(not doubled_changes, f"start events doubled: {doubled_changes[:3]}")
    watch.check_settled(verdict)
    return verdict
