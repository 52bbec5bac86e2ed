"""Shared fixtures: a real PostgreSQL, one fresh database per test cloned from a migrated template."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import discord_sandbox
from gamesched.app import App, build_app
from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from gamesched.core.db import create_engine, use_app_role
from gamesched.core.migrate import upgrade_head
from gamesched.serve import run_app
from tests.conformance import Conformance
from tests.db import (
    admin_execute,
    prepare_cluster,
    resolve_server_url,
    shared_server_url,
    unique_name,
    with_database,
)
from tests.db_proxy import DatabaseProxy

CONFORMANCE = pytest.StashKey[Conformance]()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Before any test migrates a database: the once-per-cluster part, safe with parallel workers."""
    if hasattr(session.config, "workerinput") or session.config.option.collectonly:
        return  # pytest-xdist workers: the controller did it before starting them
    if (url := shared_server_url()) is not None:  # an embedded server is each process's own
        asyncio.run(prepare_cluster(url))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked ``slow`` or ``long`` first, each group in its usual order: on parallel workers the
    longest start at once, instead of one of them keeping a worker busy alone at the end of the run."""
    items.sort(key=lambda item: not (item.get_closest_marker("slow") or item.get_closest_marker("long")))


def pytest_runtest_setup(item: pytest.Item) -> None:
    """In a pytest-xdist worker with --dist loadgroup: a test marked ``xdist_group`` must carry the group in
    its node id, or the controller spreads the group over the workers and each one builds the module-scoped
    fixture the group was made to share. pytest 9.2 drops the suffix silently (pytest-xdist issue 1386,
    hence ``pytest<9.2`` in pyproject.toml): such a test fails, rather than the suite running slower
    unnoticed."""
    if (
        getattr(item.config.option, "loadgroup", False)
        and item.get_closest_marker("xdist_group")
        and "@" not in item.nodeid
    ):
        pytest.fail(
            "--dist loadgroup is not grouping (this test lost its xdist_group): check the versions of"
            " pytest and pytest-xdist",
            pytrace=False,
        )


@pytest.fixture(scope="session", autouse=True)
def sandbox_conformance(request: pytest.FixtureRequest) -> Iterator[Conformance]:
    """Watch every sandbox answer of the session (see tests/conformance.py)."""
    conformance = Conformance.load()
    request.config.stash[CONFORMANCE] = conformance
    stop = discord_sandbox.observe(conformance.record)
    yield conformance
    stop()


@pytest.fixture(autouse=True)
def sandbox_answers_like_discord(
    request: pytest.FixtureRequest, sandbox_conformance: Conformance
) -> Iterator[None]:
    """Fail a test whose sandbox answered off Discord's spec, or that hit a route the sandbox lacks."""
    mark = sandbox_conformance.mark()
    yield
    problems, unknown = sandbox_conformance.since(mark)
    if request.node.get_closest_marker("allow_unknown_routes"):
        unknown = []
    if problems or unknown:
        lines = [*problems, *(f"unknown sandbox route: {u}" for u in unknown)]
        pytest.fail("the sandbox answered unlike Discord:\n" + "\n".join(lines), pytrace=False)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker: hand this worker's conformance figures to the controller (before the worker
    reports that it finished, hence tryfirst)."""
    conformance = session.config.stash.get(CONFORMANCE, None)
    workeroutput = getattr(session.config, "workeroutput", None)
    if conformance is not None and workeroutput is not None:
        workeroutput["conformance"] = conformance.to_data()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """In the pytest-xdist controller: add up the workers' conformance figures for the summary."""
    data = getattr(node, "workeroutput", {}).get("conformance")
    if data is not None:
        if CONFORMANCE not in node.config.stash:
            node.config.stash[CONFORMANCE] = Conformance(spec=None)
        node.config.stash[CONFORMANCE].merge(data)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller sums up (above)
        return
    conformance = config.stash.get(CONFORMANCE, None)
    if conformance is not None:
        terminalreporter.write_line(conformance.summary())
        if report := os.environ.get("GAMESCHED_CONFORMANCE_REPORT"):
            Path(report).write_text(json.dumps(conformance.report(), indent=2))


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    url, release = resolve_server_url()
    yield url
    release()


@pytest.fixture(scope="session")
async def template_database(pg_server_url: str) -> AsyncIterator[str]:
    """A database migrated to head once per session; each test clones it (CREATE DATABASE … TEMPLATE)."""
    name = unique_name("gs_template")
    await admin_execute(pg_server_url, f'CREATE DATABASE "{name}"')
    engine = create_engine(with_database(pg_server_url, name))
    try:
        await upgrade_head(engine)
    finally:
        await engine.dispose()
    yield name
    await admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def database_url(pg_server_url: str, template_database: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this test alone."""
    name = unique_name("gs_test")
    await admin_execute(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    yield with_database(pg_server_url, name)
    await admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def database_proxy(database_url: str) -> AsyncIterator[DatabaseProxy]:
    """This test's database behind a relay the test can cut, to take the database away for real."""
    async with DatabaseProxy(database_url) as proxy:
        yield proxy


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=5)
    await use_app_role(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def app_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        http_port=0,
        secret_key="x" * 40,
        log_level="WARNING",
    )


@pytest.fixture
async def running_app(app_settings: Settings) -> AsyncIterator[App]:
    """The whole app (HTTP + dispatcher + Discord slot) serving on a free port in this event loop."""
    async with serving(app_settings) as app:
        yield app


@contextlib.asynccontextmanager
async def serving(settings: Settings, **build_options: Any) -> AsyncIterator[App]:
    app = await build_app(settings, **build_options)
    stop = asyncio.Event()
    # A short grace: a DM waiting out Discord's rate limit need not hold every test's teardown for 10 s.
    task = asyncio.create_task(run_app(app, stop, grace_seconds=2))
    if app.listen_socket is not None:  # a process without the web role serves no HTTP
        host, port = app.listen_socket.getsockname()[:2]
        # The listening address, not app.base_url: a public URL need not lead to this machine.
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
            for _ in range(500):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/health")).status_code == 200:
                        break
                await asyncio.sleep(0.01)
    try:
        yield app
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


@pytest.fixture
async def sandbox_app(app_settings: Settings) -> AsyncIterator[App]:
    """The whole app in sandbox mode: the real discord.py bot connected to the local Discord and synced."""
    async with serving(app_settings.with_overrides(sandbox=True)) as app:
        await wait_for_discord(app)
        yield app


async def wait_for_discord(app: App, *, within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while app.discord.status != "connected":
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the bot did not connect to the sandbox (status {app.discord.status})")
        await asyncio.sleep(0.02)
