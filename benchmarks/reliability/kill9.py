"""kill -9 of the app at three moments of a 1,000-reminder wave: every DM delivered, none twice.

167 games (six reminder DMs each: 1,002) come due in the same second; every Discord answer is held back
0.1 s so that DMs are in flight. The app is SIGKILLed once 10 %, 50 % and 90 % of the wave has arrived and
started again on the same database each time; the sandbox Discord, in its own process, keeps what it
received. The README promises every reminder once as long as the app is back within Discord's nonce window:
resends answered with the first message are counted (that window at work), a second DM is a failure.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from benchmarks.harness import free_port, running_app
from benchmarks.reliability.common import (
    APP_SETTINGS,
    PLAYERS,
    DmWatch,
    Verdict,
    build_games,
    nonce_resends,
    open_dm_channels,
    release,
    scenario_world,
)

GAMES = 167
MOMENTS = (0.1, 0.5, 0.9)
ANSWER_DELAY = 0.1


async def run(games: int = GAMES) -> Verdict:
    expected = games * (PLAYERS + 1)
    verdict = Verdict(f"kill -9 at {', '.join(f'{m:.0%}' for m in MOMENTS)} of a {expected}-reminder wave")
    port = free_port()
    tag = "kill9"
    async with scenario_world("gs_rel_kill9") as (database, sandbox, api):
        watch = DmWatch(api, tag)
        killed_at: list[int] = []
        restarts: list[float] = []
        async with running_app(database, sandbox_url=sandbox, port=port, **APP_SETTINGS) as app:
            wave = await build_games(app.base, sandbox, api, games, tag)
            await open_dm_channels(database)
            await api.delete("/log")
            await api.post("/faults", json={"answer_delay": ANSWER_DELAY})
            moved = await release(database, wave, datetime.now(UTC) + timedelta(seconds=1))
            verdict.check(moved == games, f"{moved} reminder jobs moved, {games} expected")
            started = time.monotonic()
            killed_at.append(await watch.until(tag, round(expected * MOMENTS[0])))
            app.kill()
            kill_time = time.monotonic()
        reaped: list[float] = [time.monotonic() - kill_time]
        for moment in MOMENTS[1:]:
            began = time.monotonic()
            async with running_app(database, sandbox_url=sandbox, port=port, **APP_SETTINGS) as app:
                restarts.append(time.monotonic() - began)
                killed_at.append(await watch.until(tag, round(expected * moment)))
                app.kill()
                kill_time = time.monotonic()
            reaped.append(time.monotonic() - kill_time)
        began = time.monotonic()
        async with running_app(database, sandbox_url=sandbox, port=port, **APP_SETTINGS):
            restarts.append(time.monotonic() - began)
            await watch.settle(database, {tag: expected})
            took = time.monotonic() - started
        await api.post("/faults", json={"answer_delay": 0})
        delivered, doubled = watch.delivered(tag), watch.doubled(tag)
        resends = await nonce_resends(api, delivered + doubled)
    verdict.count(f"killed with {' / '.join(map(str, killed_at))} of {expected} DMs arrived")
    verdict.count(
        f"{expected} expected, {delivered} delivered, {expected - delivered} lost, {doubled} doubled;"
        f" {resends} resends answered with the first message (nonce window)"
    )
    verdict.count(
        f"killed process gone after {' / '.join(f'{s:.1f}' for s in reaped)} s; restarts to /health ready"
        f" {' / '.join(f'{s:.1f}' for s in restarts)} s; wave done in {took:.1f} s"
    )
    verdict.check(delivered == expected, f"{expected - delivered} reminder DMs lost")
    verdict.check(doubled == 0, f"{doubled} reminder DMs doubled")
    for moment, arrived in zip(MOMENTS, killed_at, strict=True):
        verdict.check(
            arrived < expected, f"the kill meant for {moment:.0%} came after the wave had arrived ({arrived})"
        )
    watch.check_settled(verdict)
    return verdict
