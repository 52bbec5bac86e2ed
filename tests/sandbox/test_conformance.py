"""Routes the sandbox lacks answer like Discord and are recorded; answers are checked against Discord's spec."""

from __future__ import annotations

import httpx
import pytest
import structlog

from discord_sandbox import Exchange
from tests.conformance import Conformance

from .conftest import SandboxServer

BOT = {"Authorization": "Bot sandbox-bot-token"}


@pytest.mark.allow_unknown_routes
async def test_an_unknown_route_answers_discords_404_and_is_recorded_loudly(
    sandbox_server: SandboxServer,
) -> None:
    channel = sandbox_server.ids()["#general"]
    api = f"{sandbox_server.base_url}/sandbox/discord/api/v10"
    with structlog.testing.capture_logs() as logs:
        async with httpx.AsyncClient(base_url=api, headers=BOT) as rest:
            pins = await rest.get(f"/channels/{channel}/pins")  # a path the sandbox does not serve
            close = await rest.delete(f"/channels/{channel}")  # a method it does not serve on a known path
            known = await rest.get(f"/channels/{channel}")

    for answer in (pins, close):
        assert (answer.status_code, answer.json()) == (404, {"message": "404: Not Found", "code": 0})
    assert known.status_code == 200
    recorded = (await sandbox_server.api.get("/unknown-routes")).json()
    assert [(r["method"], r["path"]) for r in recorded] == [
        ("GET", f"/channels/{channel}/pins"),
        ("DELETE", f"/channels/{channel}"),
    ]
    warned = [e for e in logs if e["event"] == "sandbox_unknown_route"]
    assert [(e["log_level"], e["method"]) for e in warned] == [("warning", "GET"), ("warning", "DELETE")]
    await sandbox_server.api.post("/reset")
    assert (await sandbox_server.api.get("/unknown-routes")).json() == []


def test_the_check_fails_answers_unlike_discords_spec() -> None:
    conformance = Conformance.load()
    if conformance.spec is None:
        pytest.skip(conformance.skip_reason or "no spec")

    conformance.record(Exchange("GET", "/channels/1/messages/2", 200, {"id": "2", "content": "no author"}))
    conformance.record(
        Exchange("POST", "/channels/1/messages", 400, {"code": 50035, "message": "Invalid Form Body"})
    )
    conformance.record(Exchange("GET", "/users/@me", 404, {"message": "404: Not Found", "code": 0}))
    conformance.record(Exchange("DELETE", "/channels/1/messages/2", 204, {"unexpected": True}))
    conformance.record(Exchange("GET", "/nowhere", 404, None, unknown_route=True))

    assert len(conformance.problems) >= 2
    assert any(
        "/channels/{channel_id}/messages/{message_id}" in p and "required" in p for p in conformance.problems
    )
    assert any("a body where Discord sends none" in p for p in conformance.problems)
    assert not any("/users/@me" in p or "-> 400" in p for p in conformance.problems)
    assert conformance.unknown_routes == ["GET /nowhere"]
    assert ("GET", "/users/@me") in conformance.routes and conformance.validated == 4
