"""The wheel, installed non-editable outside the checkout, runs: migrations, templates and static files ship in it.

How the throwaway environment gets its dependencies, and why: the test builds the wheel, creates a
virtualenv without pip in a temp dir, installs the gamesched wheel into it with ``--no-deps`` (the
dev venv's pip, ``pip --python``), and only then drops a ``.pth`` into it naming the dev venv's
site-packages, so litestar, discord.py, asyncpg… are imported from there. A plain path line in a ``.pth``
adds that directory to ``sys.path`` *after* the new venv's own site-packages and does not run the
``.pth`` files inside it, so the dev venv's editable hook (which maps ``gamesched`` to the checkout) stays
off; the test proves that ``gamesched`` is imported from the new venv. This takes seconds and needs no
network. Letting pip resolve the dependencies into the new venv instead (``pip install <wheel>``) took
about 15 s with a warm pip cache and a local index mirror, 200 MB of disk, and the network or a warm
cache on every run. What this does not prove: that the wheel's declared dependencies are complete (the dev
venv also has the dev tools); the image build (Dockerfile) installs them from the index.

The wheel is built (``pip wheel``; its build isolation fetches setuptools the way the bootstrap's editable
install does, from pip's cache) from a copy of the project without ``build/``, ``*.egg-info`` and caches:
setuptools builds in the source tree and adds whatever a stale ``build/lib`` or ``SOURCES.txt`` still
lists, which would hide a file missing from the package data. Every file of the copied source under the
wheel's top-level packages must be in the wheel: a missing data file fails here, by name, before anything
runs.

Then ``<venv>/bin/gamesched run --sandbox`` starts from a temp dir on a fresh, empty database (so the
wheel's migrations must run) and must serve ``/health`` with the bot connected to the sandbox, a static
file, template-rendered pages (the dashboard's login page, the sandbox viewer), and exit 0 on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from alembic.script import ScriptDirectory

from gamesched.core.migrate import alembic_config
from tests.db import admin_execute, asyncpg_url, unique_name, with_database

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: Not part of a source tree: the dev venv, VCS data, builds and their leftovers, caches, runtime data.
NOT_SOURCE = {".git", ".venv", "build", "dist", ".gamesched", "artifacts", "__pycache__"}
NOT_SOURCE |= {".pytest_cache", ".mypy_cache", ".ruff_cache"}


def _not_source(directory: str, names: list[str]) -> set[str]:
    return {name for name in names if name in NOT_SOURCE or name.endswith(".egg-info")}


def _run(*command: str | Path, cwd: Path, timeout: float = 120) -> str:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _build_wheel(work: Path) -> Path:
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_not_source)
    dist = work / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, source, cwd=work)
    (wheel,) = dist.glob("gamesched-*.whl")
    assert _missing_from(wheel, source) == [], "package data missing from the wheel (pyproject.toml)"
    return wheel


def _missing_from(wheel: Path, source: Path) -> list[str]:
    """Files of the source tree under the wheel's top-level packages that the wheel lacks (data files)."""
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    packages = {name.split("/")[0] for name in shipped if "/" in name and ".dist-info/" not in name}
    expected = {
        path.relative_to(source).as_posix()
        for package in packages
        for path in (source / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    return sorted(expected - shipped)


def _install(wheel: Path, venv: Path) -> Path:
    """A venv holding the gamesched wheel, borrowing its dependencies from the dev venv; its python."""
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv.parent)
    python = venv / "bin" / "python"
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "--quiet",
        wheel,
        cwd=venv.parent,
    )
    site_packages = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=venv)
    borrowed = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (Path(site_packages.strip()) / "dev_dependencies.pth").write_text(
        "".join(f"{path}\n" for path in borrowed)
    )
    return python


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_environment(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GAMESCHED_", "PYTHON", "VIRTUAL_ENV")) and k != "PIP_REQUIRE_VIRTUALENV"
    }
    env.update({"GAMESCHED_LOG_LEVEL": "WARNING", **extra})
    return env


@pytest.fixture
def empty_database_url(pg_server_url: str) -> Iterator[str]:
    """A new database with nothing in it: the installed gamesched must migrate it from its own files."""
    name = unique_name("gs_wheel")
    asyncio.run(admin_execute(pg_server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(pg_server_url, name)
    finally:
        asyncio.run(admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _schema_version(url: str) -> str:
    conn = await asyncpg.connect(asyncpg_url(url))
    try:
        return str(await conn.fetchval("SELECT version_num FROM alembic_version"))
    finally:
        await conn.close()


def _wait_until_connected(port: int, process: subprocess.Popen[bytes], log: Path) -> dict[str, str]:
    deadline = time.monotonic() + 60
    last: object = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gamesched exited with {process.returncode}:\n{log.read_text()}")
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
            last = f"{response.status_code} {response.text}"
            if response.status_code == 200 and response.json()["discord"] == "connected":
                return dict(response.json())
        except httpx.TransportError as exc:
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"no healthy, connected gamesched within 60 s (last: {last}):\n{log.read_text()}")


def test_the_wheel_installed_outside_the_checkout_migrates_serves_pages_and_stops(
    tmp_path: Path, empty_database_url: str
) -> None:
    assert not tmp_path.resolve().is_relative_to(ROOT)
    started = time.monotonic()
    wheel = _build_wheel(tmp_path / "build")
    python = _install(wheel, tmp_path / "venv")
    installed = time.monotonic() - started

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    imported_from = _run(python, "-c", "import gamesched; print(gamesched.__file__)", cwd=elsewhere).strip()
    assert Path(imported_from).is_relative_to(tmp_path / "venv"), imported_from
    assert not Path(imported_from).resolve().is_relative_to(ROOT), imported_from

    port = _free_port()
    log = tmp_path / "gamesched.log"
    env = _clean_environment(
        GAMESCHED_DATABASE_URL=empty_database_url, GAMESCHED_DATA_DIR=str(tmp_path / "data")
    )
    with log.open("wb") as output:
        process = subprocess.Popen(
            [python.with_name("gamesched"), "run", "--sandbox", "--port", str(port)],
            cwd=elsewhere,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        health = _wait_until_connected(port, process, log)
        assert health["database"] == "ok"
        up = time.monotonic() - started - installed

        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            css = client.get("/static/app.css")
            assert css.status_code == 200, css.text
            assert css.headers["content-type"].startswith("text/css")
            assert css.text.strip()
            htmx = client.get("/static/vendor/htmx-2.0.11.min.js")
            assert htmx.status_code == 200
            login = client.get("/login", headers={"accept": "text/html"})
            assert login.status_code == 200, login.text
            assert "Log in with Discord" in login.text
            assert '/static/app.css"' in login.text
            viewer = client.get("/sandbox/", headers={"accept": "text/html"})
            assert viewer.status_code == 200, viewer.text
            assert "Sandbox Guild" in viewer.text

        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert asyncio.run(_schema_version(empty_database_url)) == head
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, log.read_text()
    print(f"\nwheel built and installed in {installed:.1f} s; /health connected {up:.1f} s after start")
