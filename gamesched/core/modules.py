"""How a module plugs into the app: one registration function that returns what it contributes.

Each module's ``__init__`` exposes ``register(context) -> Contribution``. The composition root
(``gamesched.app``) calls them in dependency order with one ``ModuleContext``, then mounts every route and
page, subscribes every handler, registers every job, and adds every cog and button to the bot. A module
never wires itself into the app: everything it hooks up is in the ``Contribution`` it returns, so one file
per module shows all of its subscriptions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from gamesched.core.bus import EventBus
from gamesched.core.cache import Cache
from gamesched.core.clock import Clock
from gamesched.core.db import Database
from gamesched.core.live import LiveHub
from gamesched.core.queue import BatchHandler, JobHandler, JobQueue

if TYPE_CHECKING:
    from discord.ext import commands

    from gamesched.core.config import Settings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A job kind this module runs, with its handler and per-kind limits (see ``JobQueue.register``)."""

    kind: str
    handler: JobHandler
    max_attempts: int | None = None
    max_concurrency: int | None = None
    #: The handler reads its guild from this process's gateway view: with sharding, only a process holding
    #: the shard of the job's ``guild_id`` claims it (see ``JobQueue.register``).
    gateway: bool = False


@dataclass(frozen=True, slots=True)
class BatchJobSpec:
    """A job kind this module runs in batches (see ``JobQueue.register_batch``)."""

    kind: str
    handler: BatchHandler
    batch_size: int
    max_concurrency: int = 1
    max_attempts: int | None = None
    gateway: bool = False
    #: Seconds ahead of their due time that its jobs are claimed (see ``JobQueue.register_batch``).
    claim_ahead: float = 0.0


@dataclass(frozen=True, slots=True)
class Subscription:
    """React to every ``event`` (delivered through the queue: at least once, after the commit).

    With ``batch_size``, the handler takes a list: up to that many events of the type that are due together
    (a storm of clicks) are claimed and handed over at once, for handlers whose work is cheaper together.
    """

    event: type[Any]
    handler: Callable[[Any], Awaitable[None]]
    name: str | None = None
    batch_size: int | None = None
    #: As ``JobSpec.gateway``: the handler reads the event's guild from the gateway view.
    gateway: bool = False


@dataclass(slots=True)
class Contribution:
    """What one module adds to the app. Everything is optional."""

    name: str
    #: JSON API route handlers, controllers and routers.
    routes: list[Any] = field(default_factory=list)
    #: Dashboard page handlers; mounted with the ``page`` and ``streams`` dependencies.
    pages: list[Any] = field(default_factory=list)
    #: App-wide Litestar dependencies by name (a value, or a ``Provide``).
    dependencies: dict[str, Any] = field(default_factory=dict)
    jobs: Sequence[JobSpec | BatchJobSpec] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    #: Cogs and persistent components for the bot (only used in the process that runs it).
    cogs: list[Any] = field(default_factory=list)
    dynamic_items: list[type[Any]] = field(default_factory=list)
    #: Called at shutdown, in reverse order of registration (sync or async).
    closers: list[Callable[[], Any]] = field(default_factory=list)


@dataclass(slots=True)
class ModuleContext:
    """The shared infrastructure, plus the services modules registered before (``get``)."""

    settings: Settings
    clock: Clock
    db: Database
    queue: JobQueue
    bus: EventBus
    cache: Cache
    live: LiveHub
    base_url: str
    #: The Discord client when this process runs the bot; None in a web-only process.
    bot: commands.Bot | None = None
    _services: dict[type[Any], Any] = field(default_factory=dict)

    def provide(self, kind: type[T], service: T) -> None:
        """Offer ``service`` to the modules registered after this one, looked up by ``kind``."""
        if kind in self._services:
            raise ValueError(f"{kind.__name__} is provided twice")
        self._services[kind] = service

    def get(self, kind: type[T]) -> T:
        try:
            return self._services[kind]
        except KeyError:
            raise LookupError(
                f"{kind.__name__} is not provided: register the module that provides it earlier"
            ) from None

    def find(self, kind: type[T]) -> T | None:
        """Like ``get``, for something only some processes have (e.g. the Discord messenger)."""
        return self._services.get(kind)


#: A module's registration function.
Register = Callable[[ModuleContext], Contribution]
