"""A real PostgreSQL outage: the app's own cluster is stopped (``pg_ctl stop -m fast``) for 20 s under load.

The app runs on a throwaway cluster (Debian's ``initdb``/``pg_ctl`` in a temporary directory, on a free
port), the sandbox Discord in its own process. Three reminder waves: ``before`` comes due just ahead of the
stop (DMs in flight when the server goes), ``during`` falls due while the server is down, ``after`` is
released once it is back (it is picked up only if the dispatcher's LISTEN connection came back: with no
notification the dispatcher would sleep up to 30 s). While the server is down, every half second: ``/health``,
a game page as alice, and a Join click by a new member. Checked: the process stays up; ``/health`` is 503
with ``database: unavailable`` during and 200 (queue listening) after; each click during the outage gets the
ephemeral "try again in a moment" (none fails), and works once the server is back; the game page's live
stream signals a change after it; every reminder of the three waves arrives once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from benchmarks.harness import running_app, sandbox_process
from benchmarks.reliability.common import (
    APP_SETTINGS,
    PLAYERS,
    TRY_AGAIN,
    DmWatch,
    Verdict,
    announcement,
    build_games,
    click,
    create_game,
    eventually,
    member_ids,
    open_dm_channels,
    release,
    sandbox_guild,
    shown_text,
    throwaway_cluster,
)
from tests.db import admin_execute, with_database
from tests.login import login_as

OUTAGE_SECONDS = 20.0
LOAD_EVERY = 0.5
ANSWER_DELAY = 0.1


async def _click(api: httpx.AsyncClient, user_id: str, message: dict[str, Any], custom_id: str) -> str:
    """What the member sees after clicking: the ephemeral text, or why there is none."""
    response = await click(api, user_id, message, custom_id)
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:120]}"
    return shown_text(response.json())


async def _live_signal(client: httpx.AsyncClient, game_id: str, listening: asyncio.Event) -> None:
    async with client.stream(
        "GET", f"/games/{game_id}/live", headers={"accept": "text/event-stream"}, timeout=None
    ) as stream:
        async for line in stream.aiter_lines():
            if line.startswith(":"):
                listening.set()
            if line.startswith("event: changed"):
                return


async def run(*, quick: bool = False) -> Verdict:
    verdict = Verdict(f"PostgreSQL stopped for {OUTAGE_SECONDS:.0f} s under clicks, page views and reminders")
    sizes = {"before": 10 if quick else 30, "during": 10 if quick else 30, "after": 3}
    expected = {tag: n * (PLAYERS + 1) for tag, n in sizes.items()}
    async with (
        throwaway_cluster() as cluster,
        sandbox_process() as sandbox,
        httpx.AsyncClient(base_url=f"{sandbox}/sandbox/api", timeout=60) as api,
    ):
        await admin_execute(cluster.server_url, "CREATE DATABASE gamesched")
        database = with_database(cluster.server_url, "gamesched")
        async with running_app(database, sandbox_url=sandbox, **APP_SETTINGS) as app:
            waves = {tag: await build_games(app.base, sandbox, api, n, tag) for tag, n in sizes.items()}
            guild, channel = await sandbox_guild(api)
            clickers = await member_ids(api, guild["id"], 60, "outclick")
            async with (
                await login_as(app.base, "alice", sandbox_url=sandbox) as alice,
                httpx.AsyncClient(base_url=app.base, timeout=10) as anonymous,
            ):
                body = {
                    "guild_id": guild["id"],
                    "channel_id": channel,
                    "title": "Outage night",
                    "max_players": 100,
                    "scheduled_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
                }
                game = await create_game(alice, body)
                message = await announcement(api, channel, game["id"])
                join = f"game:join:{game['id']}"
                await open_dm_channels(database)
                await api.delete("/log")
                await api.post("/faults", json={"answer_delay": ANSWER_DELAY})
                watch = DmWatch(api, *sizes)

                await release(database, waves["before"], datetime.now(UTC) + timedelta(seconds=1))
                await watch.until("before", expected["before"] // 10)
                await release(database, waves["during"], datetime.now(UTC) + timedelta(seconds=5))
                await cluster.stop()
                stopped = time.monotonic()
                health: list[tuple[int, str]] = []
                pages: list[int] = []
                clicks: list[str] = []
                timings: list[str] = []
                while time.monotonic() - stopped < OUTAGE_SECONDS:
                    tick = time.monotonic()
                    response = await anonymous.get("/health")
                    health.append((response.status_code, response.json().get("database", "?")))
                    pages.append(
                        (await alice.get(f"/games/{game['id']}", headers={"accept": "text/html"})).status_code
                    )
                    clicked = time.monotonic()
                    clicks.append(await _click(api, clickers[len(clicks)], message, join))
                    timings.append(f"{clicked - stopped:.1f} s in, {time.monotonic() - clicked:.1f} s")
                    await asyncio.sleep(max(0.0, LOAD_EVERY - (time.monotonic() - tick)))
                await cluster.start()
                restarted = time.monotonic()

                async def healthy() -> bool:
                    with contextlib.suppress(httpx.TransportError):
                        answer = await anonymous.get("/health")
                        return answer.status_code == 200 and answer.json()["queue"] == "listening"
                    return False

                back = await eventually(healthy, within=60, every=0.1)
                back_after = time.monotonic() - restarted
                retried = [await _click(api, clicker, message, join) for clicker in clickers[: len(clicks)]]
                page_after = (
                    await alice.get(f"/games/{game['id']}", headers={"accept": "text/html"})
                ).status_code

                await watch.settle(database, {"before": expected["before"], "during": expected["during"]})
                released = time.monotonic()
                await release(database, waves["after"], datetime.now(UTC))
                await watch.until("after", expected["after"], within=40)
                after_took = time.monotonic() - released
                await watch.settle(database, expected)
                listening = asyncio.Event()
                live = asyncio.create_task(_live_signal(alice, game["id"], listening))
                await asyncio.wait_for(listening.wait(), 10)
                live_click = await _click(api, clickers[len(clicks)], message, join)
                signalled = time.monotonic()
                try:
                    await asyncio.wait_for(live, 20)
                    live_ok = True
                except TimeoutError:
                    live_ok = False
                live_took = time.monotonic() - signalled

                failed = (await api.get("/interactions/failed")).json()
                alive = app.process.returncode is None
                roster = (await alice.get(f"/api/v1/games/{game['id']}")).json()["participants"]
        await api.post("/faults", json={"answer_delay": 0})

    outage_health = {h for h in health}
    verdict.count(
        f"during the outage: {len(health)} /health answers {sorted(outage_health)}, {len(pages)} page views"
        f" {sorted(set(pages))}, {len(clicks)} clicks ({sum(c == TRY_AGAIN for c in clicks)} told to try again)"
    )
    verdict.count(
        f"/health 200 with the queue listening {back_after:.1f} s after the server started;"
        f" the 'after' wave arrived {after_took:.1f} s after its release (LISTEN); the game page's live"
        f" stream signalled a join {live_took:.1f} s after it"
    )
    for tag, n in expected.items():
        watch.judge(verdict, tag, n, name=f"wave '{tag}'")
    verdict.check(alive, "the app process exited")
    verdict.check(
        outage_health == {(503, "unavailable")}, f"/health during the outage answered {sorted(outage_health)}"
    )
    verdict.check(set(pages) == {503}, f"the game page during the outage answered {sorted(set(pages))}")
    wrong = [f"{c} ({t})" for c, t in zip(clicks, timings, strict=True) if c != TRY_AGAIN]
    verdict.check(not wrong, f"{len(wrong)} clicks during the outage were not told to try again: {wrong[:3]}")
    verdict.check(bool(back), "/health did not come back to 200 with the queue listening within 60 s")
    verdict.check(after_took < 10, f"a wave released after the outage took {after_took:.1f} s (LISTEN lost?)")
    not_in = [r for r in retried if not r.startswith("You're in")]
    verdict.check(not not_in, f"{len(not_in)} clicks after the outage did not join: {not_in[:3]}")
    verdict.check(page_after == 200, f"the game page after the outage answered {page_after}")
    verdict.check(
        live_click.startswith("You're in") and live_ok, "the live stream signalled no change after a join"
    )
    verdict.check(not failed, f"{len(failed)} interactions failed: {failed[:3]}")
    joined = len(clicks) + 1
    verdict.check(len(roster) == joined, f"the roster has {len(roster)} people, {joined} joined")
    watch.check_settled(verdict)
    return verdict
