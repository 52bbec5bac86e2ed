"""``python -m benchmarks.reliability [--only NAME ...] [--quick]``: run the scenarios, print what each
counted and PASS or FAIL; exit status 1 if any failed."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence

from benchmarks.reliability import discord_faults, kill9, pg_outage, processes
from benchmarks.reliability.common import Verdict

SCENARIOS: dict[str, tuple[Callable[[bool], Awaitable[Verdict]], str]] = {
    "kill9": (lambda quick: kill9.run(30 if quick else kill9.GAMES), "kill -9 during a reminder wave"),
    "pg_outage": (lambda quick: pg_outage.run(quick=quick), "PostgreSQL stopped for 20 s under load"),
    "discord_faults": (lambda quick: discord_faults.run(quick=quick), "Discord 429/500s and gateway drops"),
    "processes": (lambda quick: processes.run(quick=quick), "three app processes on one database"),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="The reliability suite: pass/fail, exit status 1 on a failure"
    )
    parser.add_argument("--only", nargs="+", choices=sorted(SCENARIOS), help="run only these scenarios")
    parser.add_argument("--quick", action="store_true", help="smaller waves and storms (a smoke run)")
    args = parser.parse_args(argv)
    verdicts: list[Verdict] = []
    for name in args.only or list(SCENARIOS):
        scenario, title = SCENARIOS[name]
        print(f"-- {name}: {title}", flush=True)
        began = time.monotonic()
        try:
            verdict = asyncio.run(scenario(args.quick))
        except Exception:  # a scenario that could not finish is a failure with its traceback, not a crash
            verdict = Verdict(name)
            verdict.check(False, "the scenario stopped with an error:\n" + traceback.format_exc())
        verdict.seconds = time.monotonic() - began
        print(verdict.render(), flush=True)
        verdicts.append(verdict)
    failed = [v.scenario for v in verdicts if not v.passed]
    total = sum(v.seconds for v in verdicts)
    print(f"reliability: {len(verdicts) - len(failed)} of {len(verdicts)} scenarios passed in {total:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
