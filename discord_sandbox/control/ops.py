"""Control API (`/sandbox/api`): interactions, faults, the REST log, gateway controls and reset."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from ..core.sandbox import Sandbox
from ..state.errors import ControlError
from .requests import json_body


@post("/interactions", status_code=HTTP_200_OK)
async def create_interaction(
    request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """Click a component, run a command or submit a modal as a user; wait for the bot's answer."""
    return await sandbox.interactions.run(await json_body(request), base_url=str(request.base_url))


@post("/interactions/at-once", status_code=HTTP_200_OK)
async def create_interactions_at_once(
    request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """Several members act at the same moment: every interaction is dispatched before any answer is awaited;
    the reports come back in the order given."""
    interactions = (await json_body(request)).get("interactions")
    if (
        not isinstance(interactions, list)
        or not interactions
        or not all(isinstance(i, dict) for i in interactions)
    ):
        raise ControlError(400, "invalid_interactions", message="expected interactions: a list of objects")
    reports = await sandbox.interactions.run_at_once(interactions, base_url=str(request.base_url))
    return {"interactions": reports}


@get("/attachments/{attachment_id:int}/{filename:str}", sync_to_thread=False)
def attachment(
    attachment_id: FromPath[int], filename: FromPath[str], sandbox: NamedDependency[Sandbox]
) -> Response[bytes]:
    """A file a member attached to a command (the `url` in the interaction's `resolved.attachments`)."""
    kept = sandbox.state.attachments.get(attachment_id)
    if kept is None or kept[0] != filename:
        raise ControlError(404, "unknown_attachment")
    return Response(kept[2], media_type=kept[1])


@get("/interactions/failed", sync_to_thread=False)
def failed_interactions(sandbox: NamedDependency[Sandbox]) -> list[dict[str, Any]]:
    """Interactions the bot did not acknowledge within 3 s ("This interaction failed")."""
    return sandbox.interactions.failed


@post("/faults", status_code=HTTP_200_OK)
async def set_faults(request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]) -> dict[str, Any]:
    """Queue REST 429s/500s, slow every REST answer down, disconnect the gateway, or switch rate limits (all
    of them: `rate_limits`; while that is on, the global limit and the invalid-request ban on their own)."""
    body = await json_body(request)
    faults = sandbox.faults
    try:
        if "rest_429" in body:
            faults.rest_429 = max(0, int(body["rest_429"]))
        if "rest_500" in body:
            faults.rest_500 = max(0, int(body["rest_500"]))
        if "retry_after" in body:
            faults.retry_after = max(0.0, float(body["retry_after"]))
        if "answer_delay" in body:
            faults.answer_delay = max(0.0, float(body["answer_delay"]))
    except (TypeError, ValueError):
        raise ControlError(400, "invalid_fault") from None
    for switch in ("rate_limits", "global_rate_limit", "invalid_request_ban"):
        if switch in body:
            setattr(faults, switch, bool(body[switch]))
    disconnected = sandbox.gateway.disconnect_all() if body.get("disconnect_gateway") else 0
    if body.get("reconnect_gateway"):
        sandbox.gateway.request_reconnect()
    return {**faults.as_json(), "disconnected": disconnected}


@get("/faults", sync_to_thread=False)
def get_faults(sandbox: NamedDependency[Sandbox]) -> dict[str, Any]:
    """Pending faults and the rate limit switches."""
    return sandbox.faults.as_json()


@get("/log", sync_to_thread=False)
def rest_log(sandbox: NamedDependency[Sandbox]) -> list[dict[str, Any]]:
    """REST calls received, oldest first."""
    return sandbox.rest_log


@get("/unknown-routes", sync_to_thread=False)
def unknown_routes(sandbox: NamedDependency[Sandbox]) -> list[dict[str, Any]]:
    """REST calls no sandbox handler implements (answered 404 `{"message": "404: Not Found", "code": 0}`)."""
    return sandbox.unknown_routes


@delete("/log", sync_to_thread=False)
def clear_log(sandbox: NamedDependency[Sandbox]) -> None:
    """Forget the REST log."""
    sandbox.rest_log.clear()


@get("/gateway", sync_to_thread=False)
def gateway_sessions(sandbox: NamedDependency[Sandbox]) -> list[dict[str, Any]]:
    """Gateway sessions: id, intents, shard, last sequence, whether connected and with which compression."""
    return [
        {
            "session_id": s.id,
            "intents": s.intents,
            "shard": s.shard,
            "seq": s.seq,
            "connected": s.connection is not None,
            "compress": s.connection.compress if s.connection else None,
        }
        for s in sandbox.gateway.sessions.values()
    ]


@post("/reset", status_code=HTTP_200_OK, sync_to_thread=False)
def reset(sandbox: NamedDependency[Sandbox]) -> dict[str, Any]:
    """Back to the initial world; the bot must identify again."""
    sandbox.reset()
    return {"status": "reset"}


OPS_HANDLERS = [
    create_interaction,
    create_interactions_at_once,
    attachment,
    failed_interactions,
    set_faults,
    get_faults,
    rest_log,
    unknown_routes,
    clear_log,
    gateway_sessions,
    reset,
]
