"""Discord REST: interaction callbacks and the interaction webhooks (followups, original response)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from ..core.sandbox import Sandbox
from ..state import discord_json
from ..state.errors import UNKNOWN_WEBHOOK, not_found
from .common import NO_AUTH, read_payload

ORIGINAL_OR_ID = "/webhooks/{app_id:str}/{token:str}/messages/{ref:str}"


@post(
    "/interactions/{interaction_id:str}/{token:str}/callback",
    status_code=200,
    opt={**NO_AUTH, "bucket": None},
)
async def interaction_callback(
    interaction_id: FromPath[int],
    token: FromPath[str],
    request: Request[Any, Any, Any],
    sandbox: NamedDependency[Sandbox],
    with_response: FromQuery[bool] = False,
) -> Response[Any]:
    """Acknowledge an interaction; with `?with_response=1` the callback object comes back."""
    payload = await read_payload(request)
    callback = sandbox.interactions.acknowledge(interaction_id, token, payload)
    return Response(callback, status_code=200) if with_response else Response(None, status_code=204)


def _check_app(sandbox: Sandbox, app_id: int) -> None:
    if app_id != sandbox.state.application.id:
        raise not_found(UNKNOWN_WEBHOOK, "Webhook")


@post("/webhooks/{app_id:str}/{token:str}", status_code=200, opt={**NO_AUTH, "bucket": "webhook"})
async def send_followup(
    app_id: FromPath[int],
    token: FromPath[str],
    request: Request[Any, Any, Any],
    sandbox: NamedDependency[Sandbox],
    wait: FromQuery[bool] = False,
) -> Response[Any]:
    """A followup message for an interaction."""
    _check_app(sandbox, app_id)
    message = sandbox.interactions.followup(token, await read_payload(request))
    if not wait:
        return Response(None, status_code=204)
    return Response(discord_json.message_json(sandbox.state, message), status_code=200)


@get(ORIGINAL_OR_ID, sync_to_thread=False, opt={**NO_AUTH, "bucket": "webhook"})
def get_interaction_message(
    app_id: FromQuery[int], token: FromQuery[str], ref: FromQuery[str], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """The original response or a followup."""
    _check_app(sandbox, app_id)
    return discord_json.message_json(sandbox.state, sandbox.interactions.message(token, ref))


@patch(ORIGINAL_OR_ID, opt={**NO_AUTH, "bucket": "webhook"})
async def edit_interaction_message(
    app_id: FromQuery[int],
    token: FromQuery[str],
    ref: FromQuery[str],
    request: Request[Any, Any, Any],
    sandbox: NamedDependency[Sandbox],
) -> dict[str, Any]:
    """Edit the original response or a followup."""
    _check_app(sandbox, app_id)
    message = sandbox.interactions.edit(token, ref, await read_payload(request))
    return discord_json.message_json(sandbox.state, message)


@delete(ORIGINAL_OR_ID, sync_to_thread=False, opt={**NO_AUTH, "bucket": "webhook"})
def delete_interaction_message(
    app_id: FromQuery[int], token: FromQuery[str], ref: FromQuery[str], sandbox: NamedDependency[Sandbox]
) -> None:
    """Delete the original response or a followup."""
    _check_app(sandbox, app_id)
    sandbox.delete_message(sandbox.interactions.message(token, ref))


WEBHOOK_HANDLERS = [
    interaction_callback,
    send_followup,
    get_interaction_message,
    edit_interaction_message,
    delete_interaction_message,
]
