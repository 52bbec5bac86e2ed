"""Discord REST: users, the application, gateway discovery and application commands."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath

from ..core.sandbox import Sandbox
from ..oauth.tokens import bearer_me
from ..state import discord_json
from ..state.errors import UNKNOWN_USER, not_found
from .common import bearer_token

COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
MAX_COMMANDS = 100
MAX_OPTIONS = 25
CHAT_INPUT = 1


@get("/users/@me", sync_to_thread=False, opt={"auth": "bot_or_bearer"})
def current_user(
    request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]
) -> Response[dict[str, Any]]:
    """The bot user, or with a Bearer token the user who authorized the OAuth2 grant."""
    if bearer_token(request) is None:
        bot = {
            **discord_json.user_json(sandbox.state.bot_user),
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
            "premium_type": 0,
        }
        return Response(bot, media_type=MediaType.JSON)
    status, body = bearer_me(sandbox, request.headers.get("authorization"))
    return Response(body, status_code=status, media_type=MediaType.JSON)


@get("/users/{user_id:str}", sync_to_thread=False)
def user(user_id: FromPath[int], sandbox: NamedDependency[Sandbox]) -> dict[str, Any]:
    """Any user by id."""
    found = sandbox.state.users.get(user_id)
    if found is None:
        raise not_found(UNKNOWN_USER, "User")
    return discord_json.user_json(found)


@get(["/oauth2/applications/@me", "/applications/@me"], sync_to_thread=False)
def application(sandbox: NamedDependency[Sandbox]) -> dict[str, Any]:
    """The bot's application."""
    state = sandbox.state
    app = state.application
    return {
        "id": str(app.id),
        "name": app.name,
        "icon": None,
        "description": app.description,
        "summary": "",
        "type": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "flags_new": "0",
        "team": None,
        "owner": discord_json.user_json(state.users[app.owner_id]),
        "bot": discord_json.user_json(state.bot_user),
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "approximate_guild_count": len(state.bot_guilds()),
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "eligible_oauth2_scopes": [
            "applications.commands",
            "bot",
            "identify",
            "guilds",
            "guilds.members.read",
        ],
        "integration_types_config": {"0": {}},
        "tags": [],
    }


@get("/gateway", sync_to_thread=False, opt={"auth": "none"})
def gateway_url(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Where the gateway lives."""
    return {"url": _gateway_url(request)}


@get("/gateway/bot", sync_to_thread=False)
def gateway_bot(request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]) -> dict[str, Any]:
    """Gateway URL, the recommended shard count and the session start limit (IDENTIFYs left today)."""
    gateway = sandbox.gateway
    return {
        "url": _gateway_url(request),
        "shards": gateway.recommended_shards,
        "session_start_limit": gateway.session_start_limit(),
    }


def _gateway_url(request: Request[Any, Any, Any]) -> str:
    scheme = "wss" if request.url.scheme == "https" else "ws"
    return f"{scheme}://{request.url.netloc}/sandbox/discord/gateway"


APP_HANDLERS = [
    current_user,
    user,
    application,
    gateway_url,
    gateway_bot,
]
