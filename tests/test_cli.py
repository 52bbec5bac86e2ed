"""`gamesched run` and `gamesched migrate` as real processes, on the embedded PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.db import admin_execute, unique_name, with_database


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAMESCHED_")}
    env.update({"GAMESCHED_DATA_DIR": str(data_dir), "GAMESCHED_LOG_LEVEL": "WARNING", **extra})
    return env


#: The console script, exactly what the Docker image runs (`CMD ["gamesched", "run"]`).
GAMESCHED = str(Path(sys.executable).with_name("gamesched"))


def _start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [GAMESCHED, "run", "--port", str(port)],
        env=_environment(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _seconds_until_healthy(port: int, process: subprocess.Popen[str], started: float) -> float:
    deadline = started + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gamesched exited early: {process.stderr.read() if process.stderr else ''}")
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            if response.status_code == 200 and response.json()["database"] == "ok":
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise AssertionError("gamesched did not become healthy within 60 s")


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    return process.returncode, stderr


@pytest.mark.long
def test_run_uses_embedded_postgres_reuses_it_and_refuses_a_second_process(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = _free_port()

    started = time.monotonic()
    first = _start(data_dir, port)
    cold = _seconds_until_healthy(port, first, started)
    assert (data_dir / "postgres" / "PG_VERSION").exists()

    second = subprocess.run(
        [sys.executable, "-m", "gamesched", "run", "--port", str(_free_port())],
        env=_environment(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1
    assert "already using the data dir" in second.stderr
    assert "Traceback" not in second.stderr

    code, stderr = _stop(first)
    assert code == 0, stderr

    started = time.monotonic()
    again = _start(data_dir, port)
    warm = _seconds_until_healthy(port, again, started)
    code, stderr = _stop(again)
    assert code == 0, stderr
    print(f"\nstart to /health 200: cold {cold:.2f} s, warm {warm:.2f} s")


def test_bad_setting_stops_startup_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gamesched", "run"],
        env=_environment(tmp_path, GAMESCHED_HTTP_PORT="http"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "gamesched: GAMESCHED_HTTP_PORT must be an integer, got 'http'"


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "gamesched", "run", "--port", str(port)],
            env=_environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_migrate_command_brings_an_external_database_to_head(pg_server_url: str, tmp_path: Path) -> None:
    name = unique_name("gs_cli")
    asyncio.run(admin_execute(pg_server_url, f'CREATE DATABASE "{name}"'))
    try:
        url = with_database(pg_server_url, name).replace("+asyncpg", "")
        result = subprocess.run(
            [sys.executable, "-m", "gamesched", "migrate"],
            env=_environment(tmp_path, GAMESCHED_DATABASE_URL=url),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "newest migration" in result.stdout
    finally:
        asyncio.run(admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
