"""The composition root: builds every part from settings; runs HTTP, Discord and the dispatcher together."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
import uvicorn
from litestar import Litestar
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched.auth import (
    AuthService,
    auth_routes,
    oauth_settings_for,
    provide_optional_viewer,
    provide_viewer,
)
from gamesched.config import Settings, ensure_secret_key
from gamesched.core.bus import EventBus
from gamesched.core.cache import Cache, create_cache
from gamesched.core.clock import Clock, SystemClock
from gamesched.core.db import Database, create_engine, use_app_role
from gamesched.core.dispatcher import Dispatcher
from gamesched.core.embedded_pg import DataDirLock, EmbeddedPostgres
from gamesched.core.housekeeping import QueueHousekeeping
from gamesched.core.live import LiveHub, create_live_hub
from gamesched.core.metrics import Metrics
from gamesched.core.migrate import upgrade_head
from gamesched.core.queue import JobQueue
from gamesched.discord import BotDirectory, DiscordConnection, EmptyDirectory, GuildSync
from gamesched.discord.bot_module import attach_bot, subscribe_game_reactions
from gamesched.discord.messenger import BotMessenger
from gamesched.games import GameService, game_routes
from gamesched.games.jobs import GameJobs
from gamesched.games.live import publish_live_updates
from gamesched.games.schedule import GameSchedule
from gamesched.guilds import GuildService
from gamesched.guilds.api import guild_routes
from gamesched.http import build_http_app
from gamesched.notifications import Notifier
from gamesched.web.build import WebParts, build_web

log = structlog.get_logger(__name__)

SANDBOX_BOT_TOKEN = "sandbox-bot-token"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"  # the sandbox's default OAuth client secret


@dataclass
class App:
    """Everything one gamesched process is made of."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    db: Database
    cache: Cache
    queue: JobQueue
    bus: EventBus
    dispatcher: Dispatcher
    metrics: Metrics
    discord: DiscordConnection
    guilds: GuildService
    auth: AuthService
    games: GameService
    notifier: Notifier
    live: LiveHub
    web: WebParts
    http: Litestar
    listen_socket: socket.socket
    sandbox: Any = None
    _closers: list[Any] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.settings.base_url


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the app owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def start_database(settings: Settings, closers: list[Any]) -> str:
    """Return the database URL, starting the embedded server (and locking the data dir) when none is set."""
    if settings.database_url:
        return settings.database_url
    lock = DataDirLock(settings.data_dir)
    lock.acquire()
    closers.append(lock.release)
    embedded = EmbeddedPostgres(settings.data_dir)
    url = await asyncio.to_thread(embedded.start)
    closers.append(embedded.stop)
    return url


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before serving, so port 0 resolves to a real port we can announce (and wire the sandbox to)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _provide(value: Any) -> Provide:
    return Provide(lambda: value, use_cache=True, sync_to_thread=False)


async def build_app(
    settings: Settings, *, clock: Clock | None = None, migrate: bool = True, sandbox_rate_limits: bool = True
) -> App:
    """Connect, migrate and assemble; nothing runs until ``run_app``."""
    clock = clock or SystemClock()
    closers: list[Any] = []
    try:
        settings = ensure_secret_key(settings)
        sock = bind_socket(settings.http_host, settings.http_port)
        closers.append(sock.close)
        settings = settings.with_overrides(http_port=sock.getsockname()[1])

        url = await start_database(settings, closers)
        engine = create_engine(url)
        closers.append(engine.dispose)
        if migrate:
            await upgrade_head(engine)
        await use_app_role(engine)

        metrics = Metrics()
        queue = JobQueue(clock=clock, max_attempts=settings.queue_max_attempts)
        bus = EventBus(queue)
        db = Database(engine, stage_events=bus.stage)
        dispatcher = Dispatcher(
            queue=queue,
            engine=engine,
            listen_dsn=asyncpg_dsn(engine),
            metrics=metrics,
            concurrency=settings.queue_concurrency,
        )
        housekeeping = QueueHousekeeping(db=db, queue=queue)
        await housekeeping.schedule()
        cache = create_cache(settings.redis_url, clock)
        closers.append(cache.close)

        route_handlers: list[Any] = []
        sandbox = None
        token = settings.discord_token
        if settings.sandbox:
            from gamesched.sandbox import Sandbox, build_sandbox_router, point_discord_py_at

            sandbox = Sandbox(rate_limits=sandbox_rate_limits)
            route_handlers.append(build_sandbox_router(sandbox))
            point_discord_py_at(settings.base_url)
            token = token or SANDBOX_BOT_TOKEN
        sandbox_client_id = sandbox.client_id if sandbox else None
        if settings.sandbox_url and not settings.sandbox:
            from gamesched.sandbox import point_discord_py_at

            point_discord_py_at(settings.sandbox_url.rstrip("/"))
            token = SANDBOX_BOT_TOKEN
            sandbox_client_id = await _sandbox_application_id(settings.sandbox_url)
        discord = DiscordConnection(
            token=token,
            members_intent=settings.discord_members_intent,
            local=settings.sandbox or bool(settings.sandbox_url),
        )
        notifier = Notifier(db=db, queue=queue, clock=clock)
        live = create_live_hub(settings.redis_url)
        closers.append(live.close)
        if discord.bot is not None:
            directory = BotDirectory(discord.bot)
            guilds = GuildService(db=db, directory=directory, clock=clock)
            await discord.bot.add_cog(GuildSync(guilds=guilds, directory=directory, synced=discord.synced))
            notifier.deliver_with(BotMessenger(discord.bot))
        else:
            guilds = GuildService(db=db, directory=EmptyDirectory(), clock=clock)
        oauth = oauth_settings_for(
            settings,
            sandbox_client_id=sandbox_client_id,
            sandbox_client_secret=sandbox.client_secret if sandbox else SANDBOX_CLIENT_SECRET,
        )
        auth = AuthService(oauth=oauth, cache=cache, clock=clock, guilds=guilds)
        closers.append(auth.close)
        games = GameService(
            db=db, guilds=guilds, clock=clock, schedule=GameSchedule(queue=queue, clock=clock)
        )
        GameJobs(games=games, guilds=guilds, notifier=notifier, clock=clock).register(queue)
        publish_live_updates(bus, live)
        reactions = subscribe_game_reactions(
            games=games,
            notifier=notifier,
            queue=queue,
            bus=bus,
            settings=settings,
            base_url=settings.base_url,
            clock=clock,
        )
        if discord.bot is not None:
            await attach_bot(
                discord.bot,
                games=games,
                guilds=guilds,
                notifier=notifier,
                queue=queue,
                bus=bus,
                settings=settings,
                base_url=settings.base_url,
                clock=clock,
                reactions=reactions,
            )
        route_handlers.extend([*auth_routes, *guild_routes, *game_routes])
        web = build_web()
        route_handlers.extend(web.route_handlers)
        dependencies = {
            "auth": _provide(auth),
            "guilds": _provide(guilds),
            "games": _provide(games),
            "live": _provide(live),
            "viewer": Provide(provide_viewer),
            "optional_viewer": Provide(provide_optional_viewer),
        }

        http = build_http_app(
            state={
                "db": db,
                "metrics": metrics,
                "clock": clock,
                "cache": cache,
                "settings": settings,
                "discord_status": lambda: discord.status,
                "queue_listening": lambda: dispatcher.listening,
            },
            secret_key=settings.secret_key or "",
            metrics=metrics,
            route_handlers=route_handlers,
            dependencies=dependencies,
            template_config=web.template_config,
            plugins=web.plugins,
            error_page=web.error_page,
            secure_cookies=settings.base_url.startswith("https://"),
        )
    except BaseException:
        await _close_all(closers)
        raise
    return App(
        settings=settings,
        clock=clock,
        engine=engine,
        db=db,
        cache=cache,
        queue=queue,
        bus=bus,
        dispatcher=dispatcher,
        metrics=metrics,
        discord=discord,
        guilds=guilds,
        auth=auth,
        games=games,
        notifier=notifier,
        live=live,
        web=web,
        http=http,
        listen_socket=sock,
        sandbox=sandbox,
        _closers=closers,
    )


async def _sandbox_application_id(sandbox_url: str) -> str:
    """The client id of the external sandbox's application (its OAuth client)."""
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=10) as client:
        response = await client.get("/sandbox/api/world")
        response.raise_for_status()
        return str(response.json()["application"]["id"])


def asyncpg_dsn(engine: AsyncEngine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def run_app(app: App, stop: asyncio.Event, *, grace_seconds: float = 10.0) -> None:
    """Serve until ``stop`` is set, then shut down in order: HTTP, Discord, in-flight jobs (given
    ``grace_seconds`` to finish; the rest run again after restart), pools."""
    server = _Server(
        uvicorn.Config(
            app.http, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=10
        )
    )
    try:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(server.serve(sockets=[app.listen_socket]), name="http")
            tasks.create_task(app.dispatcher.run(), name="dispatcher")
            live_task = tasks.create_task(app.live.run(), name="live-updates")
            tasks.create_task(_run_discord_when_serving(app, server), name="discord")
            await stop.wait()
            log.info("shutdown_started")
            app.web.streams.stop()  # open SSE streams would otherwise hold uvicorn's graceful shutdown
            server.should_exit = True
            await app.discord.close()
            await app.dispatcher.stop(grace_seconds=grace_seconds)
            live_task.cancel()
    finally:
        await _close_all(app._closers)
        log.info("shutdown_complete")


async def _run_discord_when_serving(app: App, server: uvicorn.Server) -> None:
    # In sandbox mode the bot connects to our own HTTP server, so it must be accepting first.
    while not server.started:  # noqa: ASYNC110 — uvicorn exposes only a flag
        await asyncio.sleep(0.01)
    await app.discord.run()


async def _close_all(closers: list[Any]) -> None:
    for close in reversed(closers):
        try:
            result = close() if not asyncio.iscoroutinefunction(close) else await close()
            if asyncio.iscoroutine(result):
                await result
        except Exception as exc:
            log.warning("close_failed", what=getattr(close, "__qualname__", repr(close)), error=str(exc))
    closers.clear()


async def serve(settings: Settings) -> None:
    """``gamesched run``: build, announce the URLs, run until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    app = await build_app(settings)
    base = app.base_url
    log.info("gamesched_started", dashboard=f"{base}/", health=f"{base}/health", discord=app.discord.status)
    print(f"gamesched is running: dashboard {base}/", flush=True)
    if app.sandbox is not None:
        print(f"sandbox Discord viewer: {base}/sandbox/", flush=True)
    await run_app(app, stop)
