"""Start time of ``gamesched run`` to the first ``/health`` 200, on the embedded PostgreSQL.

Cold: a new data dir (initdb, create database, migrate). Warm: the same data dir again. Three runs each.

``python -m benchmarks.startup [--quick]``
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from benchmarks import record
from benchmarks.harness import summary

RUNS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _time_to_health(data_dir: Path) -> float:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAMESCHED_")}
    env.update(GAMESCHED_DATA_DIR=str(data_dir), GAMESCHED_LOG_LEVEL="WARNING")
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "gamesched", "run", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.monotonic() - started < 60:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.01)
        raise RuntimeError("gamesched did not become healthy within 60 s")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Start of gamesched run to the first /health 200")
    parser.add_argument("--quick", action="store_true", help="one run instead of three")
    record.add_arguments(parser)
    args = parser.parse_args(argv)
    runs = 1 if args.quick else RUNS
    cold, warm = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="gamesched-bench-") as tmp:
            cold.append(_time_to_health(Path(tmp)) * 1000)
            warm.append(_time_to_health(Path(tmp)) * 1000)
    print(f"start to /health 200 (embedded PostgreSQL, {runs} runs):")
    print(f"  cold (new data dir) {summary(cold)}")
    print(f"  warm (same data dir) {summary(warm)}")
    figures = {
        "start to /health, cold (new data dir)": record.latency(cold),
        "start to /health, warm (same data dir)": record.latency(warm),
    }
    record.report("startup", figures, save_baseline=args.save_baseline)


if __name__ == "__main__":
    main()
