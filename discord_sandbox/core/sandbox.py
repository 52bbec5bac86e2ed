"""The Sandbox: the world plus interactions, faults, rate limits and the REST log; what the REST handlers, the
control API, the OAuth pages and the viewer are handed."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from ..interactions.tracker import InteractionTracker
from ..state.default_world import default_world
from ..state.mentions import PARSE_ALL
from ..state.model import Message, utcnow
from ..state.sandbox_state import SandboxState
from ..state.world_file import WorldFile
from ..world.changes import World
from .faults import Faults
from .media import MediaProxy
from .ratelimit import RateLimiter

MAX_LOG = 10_000
#: A changed world is written to its file at most this often (and at shutdown: ``save``).
SAVE_DELAY_SECONDS = 0.5
log = structlog.get_logger(__name__)


class Sandbox(World):
    """A local Discord: one world, its gateway sessions and everything tests can poke at."""

    def __init__(
        self,
        *,
        world: SandboxState | None = None,
        rate_limits: bool = True,
        client_id: str | None = None,
        client_secret: str = "sandbox-client-secret",
        world_file: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``world_file``: keep the world in this file — loaded at start when it exists, saved as it changes."""
        self._initial_world = copy.deepcopy(world) if world is not None else None
        self._file = WorldFile(world_file) if world_file is not None else None
        self._save_pending = False
        saved = self._file.load() if self._file is not None and world is None else None
        super().__init__(world if world is not None else saved or default_world())
        self.faults = Faults(rate_limits=rate_limits)
        self.limiter = RateLimiter(clock=clock)
        self.rest_log: list[dict[str, Any]] = []
        self.unknown_routes: list[dict[str, Any]] = []
        self.interactions = InteractionTracker(self, clock)
        #: Fetches embed images after a message is posted or edited, like Discord's media proxy.
        self.media = MediaProxy(self._media_resolved)
        self.client_id = client_id or str(self.state.application.id)
        self.client_secret = client_secret

    @property
    def bot_token(self) -> str:
        """The bot's token: REST calls must carry it (`Authorization: Bot …`), and IDENTIFY/RESUME too."""
        return self.gateway.token

    def __deepcopy__(self, memo: dict[int, Any]) -> Sandbox:
        # Litestar deep-copies routers (and their middleware) on registration; a live sandbox must stay one object.
        return self

    async def interact(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run an interaction as a user (see POST /sandbox/api/interactions); ControlError on bad input or timeout."""
        return await self.interactions.run(request)

    def reset(self) -> None:
        """Back to the initial world; sessions are invalidated so the bot identifies afresh."""
        self.state = (
            copy.deepcopy(self._initial_world) if self._initial_world is not None else default_world()
        )
        self.gateway.invalidate_all()
        self.interactions = InteractionTracker(self, self.interactions.clock)
        self.limiter.reset()
        self.rest_log.clear()
        self.unknown_routes.clear()
        self.faults = Faults(**self.faults.switches())
        self.touch()

    def touch(self) -> None:
        super().touch()
        self._save_soon()

    def save(self) -> None:
        """Write the world to its file now (no-op without one)."""
        self._save_pending = False
        if self._file is not None:
            self._file.save(self.state)

    def _save_soon(self) -> None:
        if self._file is None or self._save_pending:
            return
        self._save_pending = True
        try:
            asyncio.get_running_loop().call_later(SAVE_DELAY_SECONDS, self.save)
        except RuntimeError:  # no event loop (building a world by hand): save at once
            self.save()

    def create_message(
        self, channel_id: int, author_id: int, data: dict[str, Any], **options: Any
    ) -> Message:
        """Post a message (MESSAGE_CREATE); its embed images are fetched afterwards (``media``)."""
        message = super().create_message(channel_id, author_id, data, **options)
        self.media.resolve_later(message)
        return message

    def edit_message(
        self,
        message: Message,
        data: dict[str, Any],
        *,
        clear_flags: int = 0,
        mention_default: frozenset[str] = PARSE_ALL,
    ) -> Message:
        """Edit a message (MESSAGE_UPDATE) and wake the interactions waiting on a deferred update of it."""
        super().edit_message(message, data, clear_flags=clear_flags, mention_default=mention_default)
        self.interactions.note_message_edit(message.id)
        self.media.resolve_later(message)
        return message

    def _media_resolved(self, message: Message) -> None:
        """Discord's MESSAGE_UPDATE once it measured a message's images (not an edit: no edited_timestamp)."""
        if message.ephemeral_for is None:
            self._dispatch_message("MESSAGE_UPDATE", message)
        self.touch()

    def log_rest_call(self, method: str, path: str, status: int) -> None:
        """Record a REST call for GET /sandbox/api/log."""
        self.rest_log.append({"method": method, "path": path, "status": status, "at": utcnow().isoformat()})
        del self.rest_log[:-MAX_LOG]
        if method != "GET" and status < 400:
            self._save_soon()  # e.g. commands and DM channels change the world without a gateway event

    def note_unknown_route(self, method: str, path: str) -> None:
        """A REST call no handler implements: answered 404 like Discord, and recorded loudly."""
        log.warning("sandbox_unknown_route", method=method, path=path)
        self.unknown_routes.append({"method": method, "path": path, "at": utcnow().isoformat()})
        del self.unknown_routes[:-MAX_LOG]
