"""Running the app built by ``gamesched.app``: HTTP, Discord, the dispatcher and live updates in one task
group, until SIGINT/SIGTERM, then an orderly shutdown. ``GAMESCHED_ROLES`` picks which of them run: ``web``
(HTTP and live updates), ``bot`` (the gateway connection), ``worker`` (the dispatcher)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Generator

import structlog
import uvicorn

from gamesched.app import App, build_app, close_all
from gamesched.core.config import ROLES, Settings
from gamesched.discord import DiscordRefused

log = structlog.get_logger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the app owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def run_app(app: App, stop: asyncio.Event, *, grace_seconds: float = 10.0) -> None:
    """Serve until ``stop`` is set, then shut down in order: HTTP, Discord, in-flight jobs (given
    ``grace_seconds`` to finish; the rest run again after restart), pools."""
    server = _Server(
        uvicorn.Config(
            app.http,
            http="httptools",  # a dependency: uvicorn's "auto" would fall back to h11 silently
            log_config=None,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=10,
        )
    )
    roles = app.settings.roles
    live_task: asyncio.Task[None] | None = None
    try:
        async with asyncio.TaskGroup() as tasks:
            if app.listen_socket is not None:
                tasks.create_task(server.serve(sockets=[app.listen_socket]), name="http")
                live_task = tasks.create_task(app.live.run(), name="live-updates")
            if "worker" in roles:
                tasks.create_task(app.dispatcher.run(), name="dispatcher")
            discord_task = tasks.create_task(_run_discord_when_serving(app, server, stop), name="discord")
            await stop.wait()
            log.info("shutdown_started")
            app.dashboard.streams.stop()  # open SSE streams would otherwise hold uvicorn's graceful shutdown
            server.should_exit = True
            await app.discord.close()
            await app.dispatcher.stop(grace_seconds=grace_seconds)
            if live_task is not None:
                live_task.cancel()
    finally:
        await close_all(app._closers)
        log.info("shutdown_complete")
    if (refused := discord_task.result()) is not None:
        raise refused


async def _run_discord_when_serving(
    app: App, server: uvicorn.Server, stop: asyncio.Event
) -> DiscordRefused | None:
    """Run the bot; if Discord refuses it for good (token, intents), shut the process down and say why."""
    # In sandbox mode the bot connects to our own HTTP server, so it must be accepting first.
    while app.listen_socket is not None and not server.started:  # noqa: ASYNC110 — uvicorn exposes only a flag
        await asyncio.sleep(0.01)
    try:
        await app.discord.run()
    except DiscordRefused as refused:
        stop.set()
        return refused
    return None


async def serve(settings: Settings) -> None:
    """``gamesched run``: build, announce the URLs, run until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    app = await build_app(settings)
    # Everything built so far lives as long as the process: move it out of the collector's way, so a full
    # collection (every second or so under load) walks only what requests allocate, not the whole app —
    # otherwise it stops the event loop for 100-300 ms each time.
    gc.collect()
    gc.freeze()
    base = app.base_url
    roles = ",".join(role for role in ROLES if role in settings.roles)
    log.info(
        "gamesched_started",
        dashboard=f"{base}/",
        health=f"{base}/health",
        discord=app.discord.status,
        roles=roles,
    )
    if app.listen_socket is not None:
        print(f"gamesched is running: dashboard {base}/", flush=True)
    else:
        print(f"gamesched is running as {roles} (no web role: no HTTP)", flush=True)
    if app.sandbox is not None:
        print(f"sandbox Discord viewer: {base}/sandbox/", flush=True)
    await run_app(app, stop)
