"""Start time of ``gamesched run`` to the first ``/health`` 200, on the embedded PostgreSQL.

Cold: a new data dir (initdb, create database, migrate). Warm: the same data dir again. Five runs each.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

RUNS = 5


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


def main() -> None:
    cold, warm = [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory(prefix="gamesched-bench-") as tmp:
            cold.append(_time_to_health(Path(tmp)))
            warm.append(_time_to_health(Path(tmp)))
    print(
        f"start to /health 200 (embedded PostgreSQL, {RUNS} runs): "
        f"cold median {statistics.median(cold):.2f} s (min {min(cold):.2f}), "
        f"warm median {statistics.median(warm):.2f} s (min {min(warm):.2f})"
    )


if __name__ == "__main__":
    main()
