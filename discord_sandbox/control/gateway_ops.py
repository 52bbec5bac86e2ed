"""Control API (`/sandbox/api`): the gateway's heartbeat and session settings, and the application's
privileged intents — what a test changes to see the bot meet Discord's gateway rules."""

from __future__ import annotations

from typing import Any

from litestar import Request, patch, post
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK

from ..core.sandbox import Sandbox
from ..state.errors import ControlError
from ..state.model import APP_GATEWAY_GUILD_MEMBERS, APP_GATEWAY_MESSAGE_CONTENT, APP_GATEWAY_PRESENCE
from .requests import json_body

PRIVILEGED_INTENT_FLAGS = {
    "guild_members": APP_GATEWAY_GUILD_MEMBERS,
    "guild_presences": APP_GATEWAY_PRESENCE,
    "message_content": APP_GATEWAY_MESSAGE_CONTENT,
}


def _gateway_settings(sandbox: Sandbox) -> dict[str, Any]:
    gateway = sandbox.gateway
    return {
        "heartbeat_interval_ms": gateway.heartbeat_interval_ms,
        "heartbeat_acks": gateway.ack_heartbeats,
        "resume_window_seconds": gateway.resume_window_seconds,
        "shards": gateway.recommended_shards,
        "require_sharding": gateway.require_sharding,
        "max_concurrency": gateway.max_concurrency,
    }


@post("/gateway", status_code=HTTP_200_OK)
async def change_gateway(
    request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """Heartbeat interval for new connections, withheld ACKs (zombie connections), the resume window,
    ``request_heartbeat`` (op 1 to every connected client now) and ``time_out_sessions`` (4009 to every
    connected client, its session gone: what a client whose heartbeats stalled gets).

    Sharding: ``shards`` is the count GET /gateway/bot recommends (default 1); with ``require_sharding`` an
    IDENTIFY with fewer shards than that is closed with 4011 (Discord's "sharding required");
    ``max_concurrency`` is the session start limit's concurrency."""
    body = await json_body(request)
    gateway = sandbox.gateway
    try:
        for key in ("shards", "max_concurrency"):
            if key in body and (
                not isinstance(body[key], int) or isinstance(body[key], bool) or body[key] < 1
            ):
                raise ControlError(
                    400, "invalid_gateway_setting", field=key, message=f"{key} must be 1 or more"
                )
        if "shards" in body:
            gateway.recommended_shards = body["shards"]
        if "max_concurrency" in body:
            gateway.max_concurrency = body["max_concurrency"]
        if "require_sharding" in body:
            gateway.require_sharding = bool(body["require_sharding"])
        if "heartbeat_interval_ms" in body:
            gateway.heartbeat_interval_ms = max(100, int(body["heartbeat_interval_ms"]))
        if "resume_window_seconds" in body:
            gateway.resume_window_seconds = max(0.0, float(body["resume_window_seconds"]))
    except (TypeError, ValueError):
        raise ControlError(400, "invalid_gateway_setting") from None
    if "heartbeat_acks" in body:
        gateway.ack_heartbeats = bool(body["heartbeat_acks"])
    asked = gateway.request_heartbeat() if body.get("request_heartbeat") else 0
    timed_out = gateway.time_out_sessions() if body.get("time_out_sessions") else 0
    return {**_gateway_settings(sandbox), "heartbeats_requested": asked, "timed_out": timed_out}


@patch("/application")
async def change_application(
    request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """``{"privileged_intents": ["guild_members", ...]}``: the intents switched on in the developer portal;
    IDENTIFY asking for any other privileged intent is closed with 4014."""
    body = await json_body(request)
    names = body.get("privileged_intents")
    if not isinstance(names, list) or any(n not in PRIVILEGED_INTENT_FLAGS for n in names):
        raise ControlError(400, "invalid_privileged_intents", allowed=sorted(PRIVILEGED_INTENT_FLAGS))
    application = sandbox.state.application
    application.flags &= ~sum(PRIVILEGED_INTENT_FLAGS.values())
    for name in names:
        application.flags |= PRIVILEGED_INTENT_FLAGS[name]
    sandbox.touch()
    enabled = [n for n, flag in PRIVILEGED_INTENT_FLAGS.items() if application.flags & flag]
    return {"id": str(application.id), "flags": application.flags, "privileged_intents": enabled}


GATEWAY_HANDLERS = [change_gateway, change_application]
