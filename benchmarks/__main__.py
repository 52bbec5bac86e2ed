"""Run every benchmark in turn, then print one table of all their figures beside the previous ones:
``python -m benchmarks [--quick] [--only NAME ...]`` (``make bench``).

Each benchmark prints its own lines as it goes and writes ``.gamesched/bench/<benchmark>.json``; at the end
comes one Markdown table (p50 / p95 / p99 in ms over the runs, app CPU per operation, the case's other
figures, and the figures ``benchmarks/baseline.json`` holds for the same case), written with each step's
duration to ``.gamesched/bench/summary.json``. ``--quick`` runs each benchmark's ``--quick`` form.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence

from benchmarks import (
    capacity,
    clicks,
    dm_rate,
    queue_latency,
    queue_scale,
    reads,
    record,
    reminders,
    render,
    startup,
)

#: name → the benchmark's ``main``, and its arguments in a full run. What ``make bench`` trims against the
#: benchmarks' own defaults, to stay near ten minutes on the 2-core machine, is said in the README.
STEPS: dict[str, tuple[Callable[[list[str]], None], list[str]]] = {
    "queue_latency": (queue_latency.main, []),
    "queue_scale": (queue_scale.main, ["--drain", "5000"]),
    "startup": (startup.main, []),
    "clicks": (clicks.main, []),
    "reminders": (reminders.main, []),
    "dm_rate": (dm_rate.main, []),
    "reads": (reads.main, ["--sizes", "1000,10000,100000", "--requests", "200"]),
    "render": (render.main, []),
    # Five processes against one: the short form (10 guilds, 100 clicks, a 110-DM wave) keeps the run near
    # ten minutes; ``python -m benchmarks.capacity`` alone for the full one.
    "capacity": (capacity.main, ["--quick"]),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="each benchmark's --quick form (a smoke run)")
    parser.add_argument("--only", nargs="+", choices=sorted(STEPS), help="run only these benchmarks")
    parser.add_argument(
        "--save-baseline",
        action="store_true",
        help="keep every figure of this run in benchmarks/baseline.json",
    )
    args = parser.parse_args(argv)
    seconds: dict[str, float] = {}
    began = time.monotonic()
    for name in args.only or list(STEPS):
        run, arguments = STEPS[name]
        if args.quick:
            arguments = ["--quick"] if name not in ("queue_scale",) else ["--jobs", "100000"]
        if args.save_baseline:
            arguments = [*arguments, "--save-baseline"]
        print(f"\n== {name} {' '.join(arguments)}", flush=True)
        started = time.monotonic()
        run(arguments)
        seconds[name] = time.monotonic() - started
        print(f"== {name}: {seconds[name]:.0f} s", flush=True)
    seconds["total"] = time.monotonic() - began
    print("\nAll figures (latency in ms; previous: benchmarks/baseline.json, same case):\n")
    print(record.table(record.REPORTED))
    steps = ", ".join(f"{name} {value:.0f} s" for name, value in seconds.items() if name != "total")
    print(f"\n{seconds['total'] / 60:.1f} minutes in all ({steps})")
    print(f"written to {record.write_summary(record.REPORTED, seconds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
