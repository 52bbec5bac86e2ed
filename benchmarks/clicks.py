"""Join clicks: how long a member waits for the bot's answer when many click at once.

The sandbox Discord runs in its own process (``gamesched sandbox``) and the app in another (``gamesched run``
with GAMESCHED_SANDBOX_URL), as Discord is remote in production. Each click goes through the sandbox's
control API, which reports the time from dispatching the interaction to the bot's callback (``latency_ms``:
what Discord sees; its own network is not in it). Per scenario and run a new game is announced, every click
is sent at once, and the roster, the announcement's edits and Discord's 429 answers are counted afterwards.
Every storm runs with the sandbox's Discord rate limits off and on (global 50/s, 5 edits per 5 s of a
channel's messages); the app paces itself as in production (``GAMESCHED_DISCORD_REQUESTS_PER_SECOND``).

"At once" means one concurrent control-API request per click by default, as the peer was measured: the sandbox
serves them one after the other, so the clicks reach the app spread over some 30 ms for 20. With
``--at-once`` the sandbox dispatches a storm's clicks back to back (``POST /interactions/at-once``), as
Discord's gateway delivers clicks made at the same moment: a harsher test (its cases end in ", at once").

Also the app's footprint: resident memory idle (connected, logged in, before the first storm) and after
every storm, as the ``footprint`` benchmark.

``python -m benchmarks.clicks [--quick] [--at-once]``
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from benchmarks import record
from benchmarks.footprint import footprint
from benchmarks.harness import app_process, fresh_database, sandbox_process, summary
from tests.login import login_as

RUNS = 3
#: (clicks, seats): the issue's three storms.
SCENARIOS = ((20, 100), (100, 100), (200, 10))
#: The sandbox's Discord rate limits during a storm: off, then on.
LIMITS = (False, True)


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    deferred: int = 0
    failed: int = 0
    edits: list[int] = field(default_factory=list)
    wrong_rosters: int = 0
    #: REST calls Discord answered 429 (with the sandbox's limits on).
    rate_limited: int = 0
    #: App CPU from the first click to the last answer (the edits come later), and resident memory after.
    cpu_seconds: float = 0.0
    clicks: int = 0
    rss_mb: float = 0.0


async def crowd(api: httpx.AsyncClient, guild_id: str, size: int) -> list[str]:
    """``size`` members of the guild who are not the bot (new sandbox users as needed)."""
    world = (await api.get("/world")).json()
    bot = world["bot_user"]["id"]
    guild = next(g for g in world["guilds"] if g["id"] == guild_id)
    members = [m["user_id"] for m in guild["members"] if m["user_id"] != bot]
    for n in range(size - len(members)):
        user = (await api.post("/users", json={"username": f"clicker{n}"})).json()
        await api.put(f"/guilds/{guild_id}/members/{user['id']}", json={})
        members.append(user["id"])
    return members[:size]


async def announced(api: httpx.AsyncClient, channel_id: str, game_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for message in (await api.get(f"/channels/{channel_id}/messages")).json():
            if any(game_id in str(c) for c in message.get("components") or []):
                return dict(message)
        await asyncio.sleep(0.05)
    raise RuntimeError("the game was not announced within 20 s")


async def storm(
    app: httpx.AsyncClient,
    api: httpx.AsyncClient,
    members: Sequence[str],
    seats: int,
    outcome: Outcome,
    *,
    limits: bool = False,
    at_once: bool = False,
) -> None:
    await api.post("/faults", json={"rate_limits": limits})
    world = (await api.get("/world")).json()
    guild = next(g for g in world["guilds"] if g["name"] == "Sandbox Guild")
    channel = next(c["id"] for c in guild["channels"] if c["name"] == "board-games")
    when = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    body = {"guild_id": guild["id"], "channel_id": channel, "title": "Storm", "scheduled_at": when}
    created = await app.post("/api/v1/games", json={**body, "max_players": seats})
    game = created.json()
    message = await announced(api, channel, game["id"])
    await api.delete("/log")

    def interaction(user_id: str) -> dict[str, Any]:
        return {
            "type": "component",
            "user_id": user_id,
            "channel_id": channel,
            "message_id": message["id"],
            "custom_id": f"game:join:{game['id']}",
        }

    async def click(user_id: str) -> dict[str, Any]:
        response = await api.post("/interactions", json=interaction(user_id))
        return dict(response.json()) if response.status_code == 200 else {"failed": response.text}

    async def all_at_once() -> list[dict[str, Any]]:
        response = await api.post(
            "/interactions/at-once", json={"interactions": [interaction(m) for m in members]}
        )
        response.raise_for_status()
        return [{"failed": r} if "error" in r else r for r in response.json()["interactions"]]

    before = await footprint(app)
    answers = await all_at_once() if at_once else await asyncio.gather(*(click(m) for m in members))
    after = await footprint(app)
    outcome.cpu_seconds += after.cpu_seconds - before.cpu_seconds
    outcome.clicks += len(members)
    outcome.rss_mb = max(outcome.rss_mb, after.rss_mb)
    for answer in answers:
        if "failed" in answer:
            outcome.failed += 1
            continue
        outcome.latencies.append(float(answer["latency_ms"]))
        outcome.deferred += answer["response"]["type"] == 5
    expected = (min(seats, len(members)), max(0, len(members) - seats))
    outcome.wrong_rosters += not await settled(app, api, game["id"], channel, expected)
    log = (await api.get("/log")).json()
    outcome.edits.append(sum(e["method"] == "PATCH" and message["id"] in e["path"] for e in log))
    outcome.rate_limited += sum(e["status"] == 429 for e in log)
    await api.post("/faults", json={"rate_limits": False})


async def settled(
    app: httpx.AsyncClient, api: httpx.AsyncClient, game_id: str, channel: str, expected: tuple[int, int]
) -> bool:
    """The roster holds ``expected`` (confirmed, waitlisted) and the announcement shows it (or 20 s pass)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        game = (await app.get(f"/api/v1/games/{game_id}")).json()
        if (game["confirmed_count"], game["waitlist_count"]) == expected:
            message = await announced(api, channel, game_id)
            shown = str(message["embeds"])
            if f"({expected[0]}/" in shown and (not expected[1] or f"Waitlist ({expected[1]})" in shown):
                await asyncio.sleep(1)  # an edit still queued would show up in the log now
                return True
        await asyncio.sleep(0.1)
    return False


Scenario = tuple[int, int, bool]


@dataclass
class Memory:
    idle_mb: float = 0.0
    after_storms_mb: float = 0.0


async def run(runs: int, *, at_once: bool = False) -> tuple[dict[Scenario, Outcome], Memory]:
    results = {(c, s, limits): Outcome() for limits in LIMITS for c, s in SCENARIOS}
    rss = Memory()
    async with (
        fresh_database("gs_bench_clicks") as database,
        sandbox_process() as sandbox,
        app_process(database, sandbox_url=sandbox, JOIN_DM_DELAY_SECONDS="3600") as base,
        httpx.AsyncClient(base_url=f"{sandbox}/sandbox/api", timeout=60) as api,
    ):
        world = (await api.get("/world")).json()
        guild_id = next(g["id"] for g in world["guilds"] if g["name"] == "Sandbox Guild")
        members = await crowd(api, guild_id, max(clicks for clicks, _ in SCENARIOS))
        async with await login_as(base, "alice", sandbox_url=sandbox) as alice:
            rss.idle_mb = (await footprint(alice)).rss_mb
            for _ in range(runs):
                for clicks, seats, limits in results:
                    outcome = results[(clicks, seats, limits)]
                    await storm(alice, api, members[:clicks], seats, outcome, limits=limits, at_once=at_once)
            rss.after_storms_mb = (await footprint(alice)).rss_mb
    return results, rss


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one run instead of three")
    parser.add_argument(
        "--at-once",
        action="store_true",
        help="the sandbox dispatches a storm's clicks back to back (POST /interactions/at-once) instead of one"
        " per concurrent request of this process, which reach the app spread over tens of ms",
    )
    record.add_arguments(parser)
    args = parser.parse_args(argv)
    runs = 1 if args.quick else RUNS
    results, rss = asyncio.run(run(runs, at_once=args.at_once))
    how = "dispatched back to back by the sandbox" if args.at_once else "one concurrent request each"
    print(
        f"Join clicks at once ({how}), sandbox in its own process, {runs} run(s) each;"
        " latency = interaction to callback"
    )
    figures: record.Figures = {}
    for (clicks, seats, limits), outcome in results.items():
        case = (
            f"{clicks} clicks, {seats} seats"
            + (", limits on" if limits else "")
            + (", at once" if args.at_once else "")
        )
        print(
            f"  {case:<30} {summary(outcome.latencies)}"
            f"  deferred {outcome.deferred}  failed {outcome.failed}  edits/run {outcome.edits}"
            f"  429s {outcome.rate_limited}  wrong rosters {outcome.wrong_rosters}"
            f"  CPU {outcome.cpu_seconds / outcome.clicks * 1000:.2f} ms/click  RSS {outcome.rss_mb:.0f} MB"
        )
        figures[case] = {
            **record.latency(outcome.latencies),
            "deferred": outcome.deferred,
            "failed": outcome.failed,
            "wrong_rosters": outcome.wrong_rosters,
            "edits_max": max(outcome.edits, default=0),
            "answers_429": outcome.rate_limited,
            "cpu_ms_per_click": round(outcome.cpu_seconds / outcome.clicks * 1000, 2),
            "rss_mb": round(outcome.rss_mb),
        }
    record.report("clicks", figures, save_baseline=args.save_baseline)
    print(f"app resident memory: idle {rss.idle_mb:.0f} MB, after the storms {rss.after_storms_mb:.0f} MB")
    footprint_figures = {
        "app RSS (MB)": {"idle_mb": round(rss.idle_mb), "after_storms_mb": round(rss.after_storms_mb)}
    }
    record.report("footprint", footprint_figures, save_baseline=args.save_baseline)


if __name__ == "__main__":
    main()
