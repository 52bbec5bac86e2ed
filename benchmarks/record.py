"""Each benchmark's figures as JSON, printed beside the figures it was last compared with.

Every run writes its figures to ``.gamesched/bench/<benchmark>.json`` (git-ignored, like all local data).
``benchmarks/baseline.json`` holds the figures of the last run someone chose to keep (``--save-baseline``,
on a quiet machine): each benchmark prints them under its own table as "previous", so a change is judged
against the figures it replaces, on the same keys. ``make bench`` ends with one table of every figure of
the run beside those previous ones (``table``), also written as ``.gamesched/bench/summary.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.harness import percentile

BASELINE = Path(__file__).with_name("baseline.json")
LATEST = Path(__file__).resolve().parents[1] / ".gamesched" / "bench"

Figures = dict[str, dict[str, float]]

#: What this process reported, in order: (benchmark, figures), for the table at the end of ``make bench``.
REPORTED: list[tuple[str, Figures]] = []
#: The baseline as it was before this run (``previous_figures``).
_PREVIOUS: dict[str, Any] | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--save-baseline",
        action="store_true",
        help="keep this run's figures in benchmarks/baseline.json as the ones later runs are compared with",
    )


def latency(values: list[float]) -> dict[str, float]:
    """p50 / p95 / p99 of millisecond values, rounded to 0.1 ms."""
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(percentile(ordered, 95), 1),
        "p99": round(percentile(ordered, 99), 1),
    }


def previous_figures() -> dict[str, Any]:
    """``benchmarks/baseline.json`` as it was when this process first read it: what this run is compared
    with, even after ``--save-baseline`` has replaced it with this run's figures."""
    global _PREVIOUS
    if _PREVIOUS is None:
        _PREVIOUS = _read(BASELINE)
    return _PREVIOUS


def report(benchmark: str, figures: Figures, *, save_baseline: bool = False) -> None:
    """Print the previous figures of the same keys, write this run's JSON, and keep it as the baseline if
    asked."""
    previous = previous_figures().get(benchmark)
    if previous:
        print(f"previous figures (benchmarks/baseline.json, measured {previous['measured_at'][:10]}):")
        for key, values in previous["figures"].items():
            if key in figures:
                print(f"  {key}: {_line(values)}")
    else:
        print("previous figures: none kept yet (--save-baseline keeps this run's)")
    REPORTED.append((benchmark, figures))
    entry = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "figures": figures}
    LATEST.mkdir(parents=True, exist_ok=True)
    latest = LATEST / f"{benchmark}.json"
    latest.write_text(json.dumps(entry, indent=2) + "\n")
    print(f"figures written to {latest}")
    if save_baseline:
        baseline = _read(BASELINE)
        baseline[benchmark] = entry
        BASELINE.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n")
        print(f"kept as the baseline in {BASELINE}")


def table(reported: list[tuple[str, Figures]]) -> str:
    """Every figure of the run as one Markdown table: p50 / p95 / p99 (ms), CPU per operation, the other
    figures of the case, and the previous figures of the same case from ``benchmarks/baseline.json`` (as it
    was before this run)."""
    baseline = previous_figures()
    rows = [
        "| benchmark | case | p50 | p95 | p99 | CPU per op | other | previous: p50 / p95 / p99 (CPU); other |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for benchmark, figures in reported:
        kept = baseline.get(benchmark, {})
        for case, values in figures.items():
            previous = kept.get("figures", {}).get(case)
            cells = [_number(values.get(p)) for p in ("p50", "p95", "p99")]
            was = "—"
            if previous:
                was = " / ".join(_number(previous.get(p)) for p in ("p50", "p95", "p99"))
                if _cpu(previous):
                    was += f" ({_cpu(previous)})"
                if "p50" not in previous:
                    was = _other(previous)
                was += f" [{kept['measured_at'][:10]}]"
            rows.append(
                f"| {benchmark} | {case} | {' | '.join(cells)} | {_cpu(values) or '—'}"
                f" | {_other(values) or '—'} | {was} |"
            )
    return "\n".join(rows)


def write_summary(reported: list[tuple[str, Figures]], seconds: dict[str, float]) -> Path:
    """The whole run's figures and how long each benchmark took, as ``.gamesched/bench/summary.json``."""
    LATEST.mkdir(parents=True, exist_ok=True)
    path = LATEST / "summary.json"
    entry = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": {name: round(value, 1) for name, value in seconds.items()},
        "figures": {benchmark: figures for benchmark, figures in reported},
    }
    path.write_text(json.dumps(entry, indent=2) + "\n")
    return path


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _cpu(values: dict[str, float]) -> str:
    return next((f"{v:.2f} ms" for k, v in values.items() if k.startswith("cpu_ms_per_")), "")


def _other(values: dict[str, float]) -> str:
    return ", ".join(
        f"{k.replace('_', ' ')} {v:,.3g}"
        if isinstance(v, float) and abs(v) < 1
        else f"{k.replace('_', ' ')} {v:,}"
        for k, v in values.items()
        if k not in ("p50", "p95", "p99") and not k.startswith("cpu_ms_per_")
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text()))
    except FileNotFoundError:
        return {}


def _line(values: dict[str, float]) -> str:
    return "  ".join(f"{name} {value:,.1f}" for name, value in values.items())
