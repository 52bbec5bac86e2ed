"""The composition root: builds every part of one process from settings and the list of modules (``serve``
runs it)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import httpx
import structlog
from litestar import Litestar, Request
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched import auth, games, guilds, images, notifications
from gamesched.auth import AuthService
from gamesched.core.bus import EventBus
from gamesched.core.cache import Cache, create_cache
from gamesched.core.claims import InteractionClaims
from gamesched.core.clock import Clock, SystemClock
from gamesched.core.config import Settings, check_roles, ensure_secret_key
from gamesched.core.db import Database, create_engine, use_app_role
from gamesched.core.dispatcher import Dispatcher
from gamesched.core.embedded_pg import DataDirLock, EmbeddedPostgres
from gamesched.core.housekeeping import QueueHousekeeping
from gamesched.core.live import LiveHub, create_live_hub
from gamesched.core.locks import AdvisoryLocks
from gamesched.core.metrics import Metrics
from gamesched.core.migrate import upgrade_head
from gamesched.core.modules import BatchJobSpec, Contribution, ModuleContext, Register
from gamesched.core.queue import JobQueue
from gamesched.discord import (
    BotDirectory,
    BotMessenger,
    CommandSync,
    DiscordConnection,
    GuildSync,
    RestMembers,
    attach_features,
)
from gamesched.games import GameService
from gamesched.guilds import GuildService
from gamesched.http import build_http_app
from gamesched.notifications import Notifier
from gamesched.web.dashboard import DashboardParts, build_dashboard

log = structlog.get_logger(__name__)
T = TypeVar("T")

SANDBOX_BOT_TOKEN = "sandbox-bot-token"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"  # the sandbox's default OAuth client secret

#: The modules, in dependency order: each may use the ones before it (``context.get``), never after.
MODULES: tuple[Register, ...] = (
    images.register,  # needs only the core; templates (guilds) and games show its images
    guilds.register,
    auth.register,
    games.register,
    notifications.register,
)


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
    live: LiveHub
    modules: ModuleContext
    contributions: list[Contribution]
    dashboard: DashboardParts
    http: Litestar
    #: The HTTP listening socket; None in a process without the web role.
    listen_socket: socket.socket | None
    #: Set once the slash commands are synced (never, in a process without a bot).
    commands_synced: asyncio.Event
    sandbox: Any = None
    _closers: list[Any] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    def service(self, kind: type[T]) -> T:
        """A service a module provided, e.g. ``app.service(GameService)``."""
        return self.modules.get(kind)

    @property
    def guilds(self) -> GuildService:
        return self.service(GuildService)

    @property
    def auth(self) -> AuthService:
        return self.service(AuthService)

    @property
    def games(self) -> GameService:
        return self.service(GameService)

    @property
    def notifier(self) -> Notifier:
        return self.service(Notifier)


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
    """Bind before serving, so port 0 resolves to a real port we can announce (and wire the sandbox to).

    The protocol is named (IPPROTO_TCP, not 0): asyncio only sets TCP_NODELAY on accepted connections of
    such a socket. Without it a keep-alive response written in two parts (headers, then body) waits for
    the client's delayed ACK — about 40 ms per request.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
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


def _header_loader(context: ModuleContext) -> Callable[[Request[Any, Any, Any]], Awaitable[Any]]:
    """The dashboard header of whoever sent a request, for error pages no page handler rendered."""

    async def header(request: Request[Any, Any, Any]) -> guilds.Page | None:
        viewer = await context.get(AuthService).viewer_for(request.cookies.get(auth.SESSION_COOKIE))
        return None if viewer is None else await guilds.page_for(request, viewer, context.get(GuildService))

    return header


async def build_app(
    settings: Settings, *, clock: Clock | None = None, migrate: bool = True, sandbox_rate_limits: bool = True
) -> App:
    """Connect, migrate and assemble; nothing runs until ``run_app``."""
    clock = clock or SystemClock()
    closers: list[Any] = []
    try:
        settings = ensure_secret_key(settings)
        check_roles(settings)
        sock = None
        if "web" in settings.roles:
            sock = bind_socket(settings.http_host, settings.http_port)
            closers.append(sock.close)
            settings = settings.with_overrides(http_port=sock.getsockname()[1])

        url = await start_database(settings, closers)
        engine = create_engine(url, pool_size=settings.database_pool_size)
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
            # A bot process holding some of the shards runs the gateway work of their guilds only.
            shards=(settings.shard_count, settings.shard_ids or ())
            if settings.shard_count is not None and "bot" in settings.roles
            else None,
        )
        # Jobs a change causes that are due at once (its events) run here as soon as it commits.
        queue.local_runner = dispatcher
        housekeeping = QueueHousekeeping(db=db, queue=queue)
        await housekeeping.schedule()
        cache = create_cache(settings.redis_url, engine, clock)
        closers.append(cache.close)

        route_handlers: list[Any] = []
        sandbox = None
        token = settings.discord_token
        if settings.sandbox:
            from discord_sandbox import WORLD_FILE_NAME, Sandbox, build_sandbox_router, point_discord_py_at

            # The sandbox's world persists in the data dir, like Discord keeps its messages while we restart.
            sandbox = Sandbox(rate_limits=sandbox_rate_limits, world_file=settings.data_dir / WORLD_FILE_NAME)
            closers.append(sandbox.save)
            route_handlers.append(build_sandbox_router(sandbox))
            point_discord_py_at(settings.base_url)
            token = token or SANDBOX_BOT_TOKEN
        sandbox_client_id = sandbox.client_id if sandbox else None
        if settings.sandbox_url and not settings.sandbox:
            from discord_sandbox import point_discord_py_at

            point_discord_py_at(settings.sandbox_url.rstrip("/"))
            token = SANDBOX_BOT_TOKEN
            sandbox_client_id = await _sandbox_application_id(settings.sandbox_url)
        discord = DiscordConnection(
            # Without the bot role no gateway connection: Discord's work is left to the bot processes.
            token=token if "bot" in settings.roles else None,
            members_intent=settings.discord_members_intent,
            local=settings.sandbox or bool(settings.sandbox_url),
            shard_count=settings.shard_count,
            shard_ids=settings.shard_ids,
            requests_per_second=settings.discord_requests_per_second,
        )
        live = create_live_hub(settings.redis_url, engine=engine, listen_dsn=asyncpg_dsn(engine))
        closers.append(live.close)
        context = ModuleContext(
            settings=settings,
            clock=clock,
            db=db,
            queue=queue,
            bus=bus,
            cache=cache,
            live=live,
            base_url=settings.base_url,
            bot=discord.bot,
        )
        bot = discord.bot
        if bot is not None:
            # One connection of its own, so a claim is one round trip (core/claims.py).
            claims_engine = create_engine(url, pool_size=1)
            claims = InteractionClaims(engine=claims_engine, clock=clock)
            closers.append(claims.close)
            await use_app_role(claims_engine)
            bot.claim_interaction = claims.submit
            # Gateway work waits until the bot has its guilds from Discord (READY; core/dispatcher.py).
            dispatcher.gateway_ready = bot.is_ready
            # Jobs a click's change hands over at commit start once the clicks in flight are answered.
            dispatcher.foreground = bot.foreground
        # Per-game serialisation of announcement work across processes (opens its connection at first use).
        locks = AdvisoryLocks(asyncpg_dsn(engine))
        closers.append(locks.close)
        context.provide(AdvisoryLocks, locks)
        directory = BotDirectory(bot) if bot is not None else None
        held = _shards_held_here(settings) if directory is not None else None
        if directory is not None and held is None:
            context.provide(guilds.DiscordDirectory, directory)
        else:
            # No gateway here, or the gateway of some shards only: the bot processes' projection of Discord in
            # the database (guilds.projection), with names from Discord's REST endpoints when a token is
            # configured; a shard process puts its own gateway's view in front for its own guilds.
            names = RestMembers(token) if token else None
            if names is not None:
                closers.append(names.close)
            projected = guilds.ProjectedDirectory(db, clock=clock, names=names)
            await projected.refresh()
            # The live hub listens in a process with the web role only (serve.py); elsewhere, the poll.
            projected.start(live if "web" in settings.roles else None)
            closers.append(projected.close)
            if directory is not None and held is not None:
                context.provide(
                    guilds.DiscordDirectory,
                    guilds.ShardedDirectory(directory, projected, shard_count=held[0], shard_ids=held[1]),
                )
            else:
                context.provide(guilds.DiscordDirectory, projected)
        if bot is not None and directory is not None:
            bot.interaction_observers.append(directory.remember_interaction_member)
            context.provide(notifications.Messenger, BotMessenger(bot))
        context.provide(
            auth.OAuthSettings,
            auth.oauth_settings_for(
                settings,
                sandbox_client_id=sandbox_client_id,
                sandbox_client_secret=sandbox.client_secret if sandbox else SANDBOX_CLIENT_SECRET,
            ),
        )
        contributions = assemble(context, MODULES)
        for contribution in contributions:
            closers.extend(contribution.closers)
        commands_synced = asyncio.Event()
        if bot is not None and directory is not None:
            # Guild sync first: the modules' cogs may rely on the guilds being recorded.
            await bot.add_cog(
                GuildSync(guilds=context.get(GuildService), directory=directory, synced=discord.synced)
            )
            command_sync: CommandSync = await attach_features(
                bot,
                contributions,
                # Guild commands show up at once (sandbox, local development); global ones take a while.
                per_guild_commands=settings.sandbox or bool(settings.sandbox_url),
            )
            commands_synced = command_sync.synced
        route_handlers.extend(route for c in contributions for route in c.routes)
        dashboard = build_dashboard([page for c in contributions for page in c.pages])
        route_handlers.extend(dashboard.route_handlers)
        dependencies = {
            name: dependency if isinstance(dependency, Provide) else _provide(dependency)
            for c in contributions
            for name, dependency in c.dependencies.items()
        }
        dependencies["live"] = _provide(live)

        http = build_http_app(
            state={
                "db": db,
                "metrics": metrics,
                "clock": clock,
                "cache": cache,
                "settings": settings,
                "discord_status": lambda: discord.status,
                "queue_listening": (lambda: dispatcher.listening)
                if "worker" in settings.roles
                else lambda: None,
            },
            secret_key=settings.secret_key or "",
            metrics=metrics,
            route_handlers=route_handlers,
            dependencies=dependencies,
            template_config=dashboard.template_config,
            plugins=dashboard.plugins,
            error_page=partial(dashboard.error_page, header=_header_loader(context)),
            session_cookie=auth.SESSION_COOKIE,
            https_site=settings.base_url.startswith("https://"),
        )
    except BaseException:
        await close_all(closers)
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
        live=live,
        modules=context,
        contributions=contributions,
        dashboard=dashboard,
        http=http,
        listen_socket=sock,
        commands_synced=commands_synced,
        sandbox=sandbox,
        _closers=closers,
    )


def assemble(context: ModuleContext, modules: Sequence[Register]) -> list[Contribution]:
    """Register each module in order, then subscribe its handlers and register its jobs."""
    contributions = [register(context) for register in modules]
    for contribution in contributions:
        for job in contribution.jobs:
            if isinstance(job, BatchJobSpec):
                context.queue.register_batch(
                    job.kind,
                    job.handler,
                    batch_size=job.batch_size,
                    max_concurrency=job.max_concurrency,
                    max_attempts=job.max_attempts,
                    gateway=job.gateway,
                    claim_ahead=job.claim_ahead,
                )
            else:
                context.queue.register(
                    job.kind,
                    job.handler,
                    max_attempts=job.max_attempts,
                    max_concurrency=job.max_concurrency,
                    gateway=job.gateway,
                )
        for subscription in contribution.subscriptions:
            if subscription.batch_size is None:
                context.bus.subscribe(
                    subscription.event,
                    subscription.handler,
                    name=subscription.name,
                    gateway=subscription.gateway,
                )
            else:
                context.bus.subscribe_batch(
                    subscription.event,
                    subscription.handler,
                    name=subscription.name,
                    batch_size=subscription.batch_size,
                    gateway=subscription.gateway,
                )
    return contributions


def _shards_held_here(settings: Settings) -> tuple[int, tuple[int, ...]] | None:
    """``(shard count, shards held)`` when this process holds only some of the bot's shards; else None."""
    if settings.shard_count is None or settings.shard_ids is None:
        return None
    if set(settings.shard_ids) >= set(range(settings.shard_count)):
        return None
    return settings.shard_count, settings.shard_ids


async def _sandbox_application_id(sandbox_url: str) -> str:
    """The client id of the external sandbox's application (its OAuth client)."""
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=10) as client:
        response = await client.get("/sandbox/api/world")
        response.raise_for_status()
        return str(response.json()["application"]["id"])


def asyncpg_dsn(engine: AsyncEngine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def close_all(closers: list[Any]) -> None:
    for close in reversed(closers):
        try:
            result = close() if not asyncio.iscoroutinefunction(close) else await close()
            if asyncio.iscoroutine(result):
                await result
        except Exception as exc:
            log.warning("close_failed", what=getattr(close, "__qualname__", repr(close)), error=str(exc))
    closers.clear()
