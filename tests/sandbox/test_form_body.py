"""Malformed payloads answer like Discord: 400 Invalid Form Body (50035) with nested errors, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from discord_sandbox.interactions.drafts import component_draft

from .conftest import SandboxServer

BOT = {"Authorization": "Bot sandbox-bot-token"}


def _button(**fields: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "Go", "custom_id": "go", **fields}


def _row(*items: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(items)}


def _link(**fields: Any) -> dict[str, Any]:
    return {"type": 2, "style": 5, "label": "Site", "url": "https://example.org", **fields}


SELECT = {"type": 3, "custom_id": "pick", "options": [{"label": "A", "value": "a"}]}

#: payload -> (error path, Discord's error code)
MALFORMED: list[tuple[dict[str, Any], str, str]] = [
    ({"embeds": ["x"]}, "embeds.0", "MODEL_TYPE_CONVERT"),
    ({"embeds": "x"}, "embeds", "LIST_TYPE_CONVERT"),
    ({"content": "hi", "components": ["x"]}, "components.0", "MODEL_TYPE_CONVERT"),
    ({"content": {"a": 1}}, "content", "BASE_TYPE_STRING"),
    ({"embeds": [{"fields": [{"name": "n"}]}]}, "embeds.0.fields.0.value", "BASE_TYPE_REQUIRED"),
    ({"embeds": [{"color": 0x1000000}]}, "embeds.0.color", "NUMBER_TYPE_MAX"),
    ({"embeds": [{"color": -1}]}, "embeds.0.color", "NUMBER_TYPE_MIN"),
    ({"embeds": [{"color": "red"}]}, "embeds.0.color", "NUMBER_TYPE_COERCE"),
    ({"embeds": [{"title": "t", "timestamp": "next friday"}]}, "embeds.0.timestamp", "DATE_TIME_TYPE_PARSE"),
    ({"embeds": [{"url": "javascript:alert(1)"}]}, "embeds.0.url", "URL_TYPE_INVALID_SCHEME"),
    ({"embeds": [{"image": {"url": "not a url"}}]}, "embeds.0.image.url", "URL_TYPE_INVALID_URL"),
    ({"embeds": [{"footer": {}}]}, "embeds.0.footer.text", "BASE_TYPE_REQUIRED"),
    ({"content": "hi", "components": [_button()]}, "components.0.type", "UNION_TYPE_CHOICES"),
    (
        {"content": "hi", "components": [_row({"type": 4, "custom_id": "t", "style": 1, "label": "T"})]},
        "components.0.components.0.type",
        "UNION_TYPE_CHOICES",
    ),
    (
        {"content": "hi", "components": [_row(SELECT, _button())]},
        "components.0.components",
        "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
    ),
    (
        {"content": "hi", "components": [_row(_button(style=7))]},
        "components.0.components.0.style",
        "BASE_TYPE_CHOICES",
    ),
    (
        {"content": "hi", "components": [_row(_link(custom_id="x"))]},
        "components.0.components.0.custom_id",
        "BUTTON_COMPONENT_CUSTOM_ID_URL_MUTUALLY_EXCLUSIVE",
    ),
    (
        {"content": "hi", "components": [_row(_link(url=None))]},
        "components.0.components.0.url",
        "BASE_TYPE_REQUIRED",
    ),
    (
        {"content": "hi", "components": [_row(_link(url="ftp://example.org"))]},
        "components.0.components.0.url",
        "URL_TYPE_INVALID_SCHEME",
    ),
    (
        {"content": "hi", "components": [_row(_button(url="https://example.org"))]},
        "components.0.components.0.url",
        "BUTTON_COMPONENT_CUSTOM_ID_URL_MUTUALLY_EXCLUSIVE",
    ),
    (
        {"content": "hi", "components": [_row(_button(style=6, custom_id=None))]},
        "components.0.components.0.sku_id",
        "BASE_TYPE_REQUIRED",
    ),
    (
        {"content": "hi", "components": [_row(_button(custom_id=""))]},
        "components.0.components.0.custom_id",
        "BASE_TYPE_BAD_LENGTH",
    ),
    (
        {"content": "hi", "components": [_row(_button(custom_id="c" * 101))]},
        "components.0.components.0.custom_id",
        "BASE_TYPE_BAD_LENGTH",
    ),
    (
        {"content": "hi", "components": [_row(_button(), _button())]},
        "components.0.components.1.custom_id",
        "COMPONENT_CUSTOM_ID_DUPLICATED",
    ),
    ({"content": "hi", "flags": 64}, "flags", "MESSAGE_FLAGS_INVALID"),
    ({"content": "hi", "flags": 1 << 15}, "content", "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2"),
    (
        {"flags": 1 << 15, "components": [{"type": 17, "components": [_button()]}]},
        "components.0.components.0.type",
        "UNION_TYPE_CHOICES",
    ),
]


def _error_at(body: dict[str, Any], path: str) -> list[str]:
    node = body["errors"]
    for key in path.split("."):
        node = node[key]
    return [e["code"] for e in node["_errors"]]


@pytest.fixture
async def rest(sandbox_server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=f"{sandbox_server.base_url}/sandbox/discord/api/v10", headers=BOT
    ) as client:
        yield client


@pytest.mark.parametrize(("payload", "path", "code"), MALFORMED, ids=[f"{p}:{c}" for _, p, c in MALFORMED])
async def test_malformed_messages_are_invalid_form_bodies(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient, payload: dict[str, Any], path: str, code: str
) -> None:
    answer = await rest.post(f"/channels/{sandbox_server.ids()['#general']}/messages", json=payload)

    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert (body["code"], body["message"]) == (50035, "Invalid Form Body")
    assert code in _error_at(body, path), body


async def test_well_formed_messages_pass_including_v2_layouts(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient
) -> None:
    path = f"/channels/{sandbox_server.ids()['#general']}/messages"
    embed = {
        "title": "Game night",
        "url": "https://example.org/games/1",
        "color": 0xFFFFFF,
        "timestamp": "2030-03-17T17:46:00Z",
        "fields": [{"name": "Host", "value": "alice", "inline": True}],
        "footer": {"text": "Status: Scheduled"},
        "thumbnail": {"url": "attachment://cover.png"},
    }
    classic = {"content": "hi", "embeds": [embed], "components": [_row(_button(), _link())], "flags": 4096}
    layout = {
        "flags": 1 << 15,
        "components": [{"type": 17, "components": [{"type": 10, "content": "Game night"}, _row(_button())]}],
    }

    for payload in (classic, layout, {"content": "hi", "components": [_row(SELECT)]}):
        answer = await rest.post(path, json=payload)
        assert answer.status_code == 200, answer.text


async def test_editing_a_message_to_nothing_is_refused_with_50006(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient
) -> None:
    channel = sandbox_server.ids()["#general"]
    message = (await rest.post(f"/channels/{channel}/messages", json={"content": "hi"})).json()
    path = f"/channels/{channel}/messages/{message['id']}"

    emptied = await rest.patch(path, json={"content": "", "embeds": [], "components": []})
    to_embed = await rest.patch(path, json={"content": "", "embeds": [{"title": "now an embed"}]})
    then_empty = await rest.patch(path, json={"embeds": []})
    ephemeral = await rest.patch(path, json={"flags": 64})

    assert (emptied.status_code, emptied.json()) == (
        400,
        {"code": 50006, "message": "Cannot send an empty message"},
    )
    assert to_embed.status_code == 200 and to_embed.json()["content"] == ""
    assert then_empty.status_code == 400 and then_empty.json()["code"] == 50006
    assert ephemeral.status_code == 400 and "flags" in ephemeral.json()["errors"]


async def test_interaction_responses_and_followups_are_checked_too(sandbox_server: SandboxServer) -> None:
    sandbox, ids = sandbox_server.sandbox, sandbox_server.ids()
    message = sandbox.create_message(
        ids["#general"],
        ids["gamesched"],
        {"content": "game", "components": [_row(_button(custom_id="join"))]},
    )
    draft = component_draft(
        sandbox.state,
        {
            "user_id": str(ids["bob"]),
            "channel_id": str(ids["#general"]),
            "message_id": str(message.id),
            "custom_id": "join",
        },
    )
    pending = sandbox.interactions.start(draft)
    app = sandbox.state.application.id
    async with httpx.AsyncClient(base_url=f"{sandbox_server.base_url}/sandbox/discord/api/v10") as client:
        callback = f"/interactions/{pending.id}/{pending.token}/callback"
        bad_embed = await client.post(callback, json={"type": 4, "data": {"embeds": ["x"]}})
        bad_data = await client.post(callback, json={"type": 4, "data": "x"})
        ok = await client.post(callback, json={"type": 4, "data": {"content": "joined", "flags": 64}})
        followup = await client.post(
            f"/webhooks/{app}/{pending.token}", json={"content": "x", "flags": 1 << 13}
        )
        edit = await client.patch(f"/webhooks/{app}/{pending.token}/messages/@original", json={"content": ""})
        not_an_id = await client.get(f"/webhooks/{app}/{pending.token}/messages/latest")

    assert bad_embed.status_code == 400 and "MODEL_TYPE_CONVERT" in _error_at(bad_embed.json(), "embeds.0")
    assert bad_data.status_code == 400 and bad_data.json()["code"] == 50035
    assert ok.status_code == 204
    assert followup.status_code == 400 and "flags" in followup.json()["errors"]
    assert edit.status_code == 400 and edit.json()["code"] == 50006
    assert (not_an_id.status_code, not_an_id.json()["code"]) == (400, 50035)  # message_id: not a snowflake
