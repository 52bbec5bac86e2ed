"""`/discord/api/v10`: the Discord REST handlers behind the bot-token guard, with errors in Discord's shape."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request, Response, Router
from litestar.enums import MediaType
from litestar.exceptions import HTTPException

from ..core.sandbox import Sandbox
from ..state.errors import DiscordError
from .application import APP_HANDLERS
from .channels import CHANNEL_HANDLERS
from .commands import COMMAND_HANDLERS
from .common import require_bot, require_snowflake_ids
from .guilds import GUILD_HANDLERS
from .unknown import unknown_route_handlers
from .webhooks import WEBHOOK_HANDLERS

log = structlog.get_logger(__name__)

API_PATH = "/discord/api/v10"


def discord_error_response(_: Request[Any, Any, Any], exc: DiscordError) -> Response[dict[str, Any]]:
    """Render a DiscordError."""
    return Response(exc.body(), status_code=exc.status, media_type=MediaType.JSON)


def _discord_http_error(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, HTTPException):
        code = 50035 if exc.status_code == 400 else 0
        message = "Invalid Form Body" if code else f"{exc.status_code}: {exc.detail}"
        return Response(
            {"code": code, "message": message}, status_code=exc.status_code, media_type=MediaType.JSON
        )
    log.exception("sandbox_rest_crashed", error=str(exc))
    return Response(
        {"code": 0, "message": "500: Internal Server Error"}, status_code=500, media_type=MediaType.JSON
    )


def discord_api_router(sandbox: Sandbox) -> Router:
    """The Discord REST API the bot talks to."""
    handlers = [*APP_HANDLERS, *COMMAND_HANDLERS, *CHANNEL_HANDLERS, *GUILD_HANDLERS, *WEBHOOK_HANDLERS]
    return Router(
        path=API_PATH,
        route_handlers=[*handlers, *unknown_route_handlers(handlers)],
        guards=[require_bot(sandbox), require_snowflake_ids],
        exception_handlers={
            DiscordError: discord_error_response,
            HTTPException: _discord_http_error,
            Exception: _discord_http_error,
        },
    )
