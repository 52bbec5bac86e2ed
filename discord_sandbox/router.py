"""`build_sandbox_router`: everything under /sandbox, and `point_discord_py_at` for the real client."""

from __future__ import annotations

from typing import Any

import discord.gateway
import discord.http
import yarl
from litestar import Router, WebSocket, websocket
from litestar.di import NamedDependency, Provide

from .control.router import control_api_router
from .core.sandbox import Sandbox
from .oauth.consent import CONSENT_HANDLERS
from .oauth.tokens import TOKEN_HANDLERS
from .rest.middleware import DiscordRestMiddleware
from .rest.router import API_PATH, discord_api_router
from .viewer.page import VIEWER_HANDLERS

GATEWAY_PATH = "/discord/gateway"


@websocket(GATEWAY_PATH)
async def gateway_socket(socket: WebSocket[Any, Any, Any], sandbox: NamedDependency[Sandbox]) -> None:
    """The Discord gateway websocket."""
    await sandbox.gateway.serve(socket)


def build_sandbox_router(sandbox: Sandbox) -> Router:
    """All of /sandbox: Discord REST and gateway, OAuth2 pages, the viewer and the control API."""
    return Router(
        path="/sandbox",
        route_handlers=[
            discord_api_router(sandbox),
            control_api_router(),
            gateway_socket,
            *CONSENT_HANDLERS,
            *TOKEN_HANDLERS,
            *VIEWER_HANDLERS,
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
