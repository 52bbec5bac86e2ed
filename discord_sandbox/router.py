"""`build_sandbox_router`: everything under /sandbox, and `point_discord_py_at` for the real client."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import discord.gateway
import discord.http
import structlog
import yarl
from litestar import Request, Response, Router, WebSocket, websocket
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException

from .control.messages import MESSAGE_HANDLERS
from .control.ops import OPS_HANDLERS
from .control.world import WORLD_HANDLERS
from .core.sandbox import Sandbox
from .rest.application import APP_HANDLERS
from .rest.channels import CHANNEL_HANDLERS
from .rest.commands import COMMAND_HANDLERS
from .rest.common import require_bot
from .rest.guilds import GUILD_HANDLERS
from .rest.middleware import DiscordRestMiddleware
from .rest.webhooks import WEBHOOK_HANDLERS
from .state.errors import JSON, ControlError, DiscordError, control_error_response, discord_error_response

log = structlog.get_logger(__name__)

API_PATH = "/discord/api/v10"
GATEWAY_PATH = "/discord/gateway"


@websocket(GATEWAY_PATH)
async def gateway_socket(socket: WebSocket[Any, Any, Any], sandbox: NamedDependency[Sandbox]) -> None:
    """The Discord gateway websocket."""
    await sandbox.gateway.serve(socket)


def _discord_http_error(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, HTTPException):
        code = 50035 if exc.status_code == 400 else 0
        message = "Invalid Form Body" if code else f"{exc.status_code}: {exc.detail}"
        return Response({"code": code, "message": message}, status_code=exc.status_code, media_type=JSON)
    log.exception("sandbox_rest_crashed", error=str(exc))
    return Response({"code": 0, "message": "500: Internal Server Error"}, status_code=500, media_type=JSON)


def _control_http_error(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, HTTPException):
        error = "bad_request" if exc.status_code == 400 else "http_error"
        return Response(
            {"error": error, "message": str(exc.detail)}, status_code=exc.status_code, media_type=JSON
        )
    log.exception("sandbox_control_crashed", error=str(exc))
    return Response({"error": "internal_error", "message": str(exc)}, status_code=500, media_type=JSON)


def _optional_handlers(module: str, attribute: str) -> list[Any]:
    # The OAuth pages and the viewer live in sibling modules built separately; without them the rest still works.
    name = f"{__package__}.{module}"
    if importlib.util.find_spec(name) is None:
        log.warning("sandbox_module_missing", module=name)
        return []
    return list(getattr(importlib.import_module(name), attribute))


def build_sandbox_router(sandbox: Sandbox) -> Router:
    """All of /sandbox: Discord REST and gateway, OAuth2 pages, the viewer and the control API."""
    discord_api = Router(
        path=API_PATH,
        route_handlers=[
            *APP_HANDLERS,
            *COMMAND_HANDLERS,
            *CHANNEL_HANDLERS,
            *GUILD_HANDLERS,
            *WEBHOOK_HANDLERS,
        ],
        guards=[require_bot],
        exception_handlers={
            DiscordError: discord_error_response,
            HTTPException: _discord_http_error,
            Exception: _discord_http_error,
        },
    )
    control_api = Router(
        path="/api",
        route_handlers=[*WORLD_HANDLERS, *MESSAGE_HANDLERS, *OPS_HANDLERS],
        exception_handlers={
            ControlError: control_error_response,
            HTTPException: _control_http_error,
            Exception: _control_http_error,
        },
    )
    return Router(
        path="/sandbox",
        route_handlers=[
            discord_api,
            control_api,
            gateway_socket,
            *_optional_handlers("oauth.consent", "CONSENT_HANDLERS"),
            *_optional_handlers("oauth.tokens", "TOKEN_HANDLERS"),
            *_optional_handlers("viewer.page", "viewer_handlers"),
        ],
        dependencies={"sandbox": Provide(lambda: sandbox, sync_to_thread=False)},
        middleware=[DiscordRestMiddleware(sandbox)],
        include_in_schema=False,
    )


def point_discord_py_at(base_url: str) -> None:
    """Make discord.py talk to the sandbox served at `base_url` (e.g. `http://127.0.0.1:8000`)."""
    base = base_url.rstrip("/")
    discord.http.Route.BASE = f"{base}/sandbox{API_PATH}"
    ws_base = (
        "wss://" + base.removeprefix("https://")
        if base.startswith("https://")
        else "ws://" + base.removeprefix("http://")
    )
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"{ws_base}/sandbox{GATEWAY_PATH}")
