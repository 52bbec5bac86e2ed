"""Discord misbehaving during a click storm and a reminder wave: bursts of 429s and 500s, gateway drops (the
bot RESUMEs) and a heartbeat stall (the session is timed out with 4009 and the bot IDENTIFYs afresh).

The sandbox Discord runs in its own process. A 10-seat game is announced and ``clickers`` members click Join
at random moments over six seconds while a reminder wave comes due; meanwhile the sandbox answers bursts of
REST calls with 429 and 500, drops every gateway connection, and times the sessions out. A member whose click
failed ("This interaction failed") clicks again a second later, as a person would. Then a fifth of them
leave. Checked: every member got an answer (after their own retries); no interaction failed while the bot had
a live gateway connection (the sandbox records how many it had when it dispatched each one: a click that
reached the bot and still failed is one a retry could have saved); the roster is exactly the clicks'; the
announcement shows that roster; every reminder arrives once.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
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
    build_games,
    click,
    create_game,
    eventually,
    find_announcement,
    member_ids,
    open_dm_channels,
    release,
    sandbox_guild,
    scenario_world,
    shown_text,
)
from tests.login import login_as

SEATS = 10
SPREAD_SECONDS = 6.0
MEMBER_RETRIES = 5
CALLBACK = re.compile(r"/interactions/(\d+)/[^/]+/callback$")
#: A bot that tried until this close to the end of Discord's 3-second window kept trying.
WINDOW_SLACK_SECONDS = 0.7
MENTION = re.compile(r"<@!?(\d+)>")
#: (seconds after the storm starts, control API path, body): the faults, in order.
FAULTS: tuple[tuple[float, str, dict[str, Any]], ...] = (
    (0.3, "/faults", {"rest_429": 40}),
    (1.2, "/faults", {"rest_500": 20}),
    (2.2, "/faults", {"disconnect_gateway": True}),
    (3.4, "/faults", {"rest_429": 40, "rest_500": 20}),
    (4.6, "/gateway", {"time_out_sessions": True}),
    (5.6, "/faults", {"reconnect_gateway": True, "rest_500": 10}),
)


async def _click(api: httpx.AsyncClient, user_id: str, message: dict[str, Any], custom_id: str) -> str | None:
    """The ephemeral text the member saw, or None if the interaction failed."""
    response = await click(api, user_id, message, custom_id)
    if response.status_code == 504:
        return None
    response.raise_for_status()
    return shown_text(response.json())


class Member:
    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self.failed = 0
        self.answers: list[str] = []

    async def click(
        self, api: httpx.AsyncClient, message: dict[str, Any], custom_id: str, delay: float
    ) -> None:
        await asyncio.sleep(delay)
        for _ in range(MEMBER_RETRIES):
            text = await _click(api, self.user_id, message, custom_id)
            if text is not None:
                self.answers.append(text)
                return
            self.failed += 1
            await asyncio.sleep(1)


async def _inject(api: httpx.AsyncClient, began: float, drops: list[datetime]) -> list[str]:
    """Inject the faults on schedule; ``drops`` gets the moments the gateway connections were dropped."""
    done = []
    for at, path, body in FAULTS:
        await asyncio.sleep(max(0.0, at - (time.monotonic() - began)))
        if {"disconnect_gateway", "time_out_sessions", "reconnect_gateway"} & set(body):
            drops.append(datetime.now(UTC))
        answer = await api.post(path, json=body)
        done.append(f"{path} {body} → {answer.status_code}")
    return done


def _saveable(failure: dict[str, Any], attempts: list[tuple[datetime, int]], drops: list[datetime]) -> bool:
    """Whether the app could have answered this failed interaction by trying (again) in time.

    Not when no bot had a live connection at dispatch (Discord holds it for a RESUME), nor when the bot
    never got it because its connection was dropped within the 3 s (the event went with it), nor when the
    bot kept trying until Discord's window closed and every try met an injected 429/500.
    """
    if failure.get("connected_sessions", 0) == 0:
        return False
    failed_at = datetime.fromisoformat(failure["at"])
    dispatched = failed_at - timedelta(milliseconds=failure["elapsed_ms"])
    if not attempts:
        return not any(dispatched - timedelta(seconds=0.5) <= d <= failed_at for d in drops)
    last_at, _ = attempts[-1]
    kept_trying = last_at >= failed_at - timedelta(seconds=WINDOW_SLACK_SECONDS)
    return not (kept_trying and all(status in (429, 500) for _, status in attempts))


def _mentions(message: dict[str, Any], prefix: str) -> list[str]:
    fields = message["embeds"][0].get("fields") or []
    ids: list[str] = []
    collecting = False
    for f in fields:
        if f["name"].startswith(prefix):
            collecting = True
        elif collecting and f["name"] != "\u200b":
            break
        if collecting:
            ids += MENTION.findall(f["value"])
    return ids


async def run(*, quick: bool = False) -> Verdict:
    games, clickers = (10, 30) if quick else (40, 80)
    expected = games * (PLAYERS + 1)
    verdict = Verdict(
        f"429/500 bursts, gateway drops and a heartbeat stall: {clickers} clicks, {expected} DMs"
    )
    rng = random.Random(12)
    async with (
        scenario_world("gs_rel_discord") as (database, sandbox, api),
        running_app(database, sandbox_url=sandbox, **APP_SETTINGS) as app,
    ):
        wave = await build_games(app.base, sandbox, api, games, "faults")
        guild, channel = await sandbox_guild(api)
        members = [Member(u) for u in await member_ids(api, guild["id"], clickers, "stormer")]
        async with await login_as(app.base, "alice", sandbox_url=sandbox) as alice:
            body = {
                "guild_id": guild["id"],
                "channel_id": channel,
                "title": "Fault night",
                "scheduled_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
                "max_players": SEATS,
            }
            game = await create_game(alice, body)
            message = await announcement(api, channel, game["id"])
            await open_dm_channels(database)
            await api.delete("/log")
            watch = DmWatch(api, "faults")
            await release(database, wave, datetime.now(UTC) + timedelta(seconds=1))
            began = time.monotonic()
            join = f"game:join:{game['id']}"
            drops: list[datetime] = []
            injected, *_ = await asyncio.gather(
                _inject(api, began, drops),
                *(m.click(api, message, join, rng.uniform(0, SPREAD_SECONDS)) for m in members),
            )
            leavers = members[:: max(1, round(1 / 0.2))]
            await asyncio.gather(
                *(m.click(api, message, f"game:leave:{game['id']}", rng.uniform(0, 1)) for m in leavers)
            )
            storm_took = time.monotonic() - began
            await watch.settle(database, {"faults": expected})
            final = (await alice.get(f"/api/v1/games/{game['id']}")).json()["participants"]
            confirmed = [p["discord_id"] for p in final if p["status"] == "confirmed"]
            waitlisted = [p["discord_id"] for p in final if p["status"] == "waitlisted"]

            async def shows_the_roster() -> dict[str, Any] | None:
                current = await find_announcement(api, channel, game["id"])
                if current is None:
                    return None
                players = _mentions(current, "Players")
                waiting = _mentions(current, "Waitlist")
                return current if (players, waiting) == (confirmed, waitlisted) else None

            shown = await eventually(shows_the_roster, within=30, every=0.5)
        failed = (await api.get("/interactions/failed")).json()
        sessions = (await api.get("/gateway")).json()
        log = (await api.get("/log")).json()

    callbacks: dict[str, list[tuple[datetime, int]]] = {}
    for call in log:
        if found := CALLBACK.search(call["path"]):
            callbacks.setdefault(found[1], []).append((datetime.fromisoformat(call["at"]), call["status"]))
    saveable = [f for f in failed if _saveable(f, callbacks.get(f["interaction_id"], []), drops)]
    for f in saveable:
        verdict.count(
            f"failed and could have been saved: {f['interaction_id']} {f['reason']} after"
            f" {f['elapsed_ms']:.0f} ms, callbacks {[s for _, s in callbacks.get(f['interaction_id'], [])]}"
        )
    lost_with_connection = sum(
        1 for f in failed if f.get("connected_sessions", 0) and not callbacks.get(f["interaction_id"])
    )
    unanswered = [m.user_id for m in members if not m.answers]
    stayers = {m.user_id for m in members} - {m.user_id for m in leavers}
    faulted = sum(1 for call in log if call["status"] in (429, 500))
    verdict.count(f"faults: {'; '.join(injected)}")
    verdict.count(
        f"{len(log)} REST calls during the storm and the wave, {faulted} answered 429/500;"
        f" gateway sessions now {sum(s['connected'] for s in sessions)} connected"
    )
    verdict.count(
        f"{clickers} joins + {len(leavers)} leaves in {storm_took:.1f} s; {len(failed)} interactions failed"
        f" ({sum(not f.get('connected_sessions') for f in failed)} while the bot had no live gateway connection,"
        f" {lost_with_connection} went with a dropped connection, the rest met 429/500s for the whole 3 s;"
        f" {len(saveable)} could have been saved);"
        f" {sum(m.failed for m in members)} member retries"
    )
    verdict.count(
        f"roster {len(confirmed)} confirmed + {len(waitlisted)} waitlisted;"
        f" announcement {'shows' if shown else 'does not show'} it"
    )
    watch.judge(verdict, "faults", expected)
    verdict.check(not unanswered, f"{len(unanswered)} members never got an answer")
    verdict.check(
        not saveable, f"{len(saveable)} failed interactions a retry could have saved: {saveable[:3]}"
    )
    verdict.check(
        set(confirmed) | set(waitlisted) == stayers and len(confirmed) == SEATS,
        f"the roster ({len(confirmed)} + {len(waitlisted)}) is not the {len(stayers)} who joined and stayed",
    )
    verdict.check(bool(shown), "the announcement does not show the final roster")
    watch.check_settled(verdict)
    return verdict
