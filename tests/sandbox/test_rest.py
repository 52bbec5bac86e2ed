"""Discord REST and the control API over plain HTTP: auth, error shapes, limits, rate limits, faults."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from .conftest import SandboxServer

BOT = {"Authorization": "Bot sandbox-bot-token"}


@pytest.fixture
async def rest(sandbox_server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    """A raw client for /sandbox/discord/api/v10 with the bot's token."""
    async with httpx.AsyncClient(
        base_url=f"{sandbox_server.base_url}/sandbox/discord/api/v10", headers=BOT
    ) as client:
        yield client


async def test_requests_need_a_bot_token(rest: httpx.AsyncClient) -> None:
    anonymous = await rest.get("/users/@me", headers={"Authorization": ""})
    assert anonymous.status_code == 401 and anonymous.json() == {"code": 0, "message": "401: Unauthorized"}
    me = await rest.get("/users/@me")
    assert me.status_code == 200 and me.headers["content-type"] == "application/json"
    assert me.json()["username"] == "gamesched" and me.json()["bot"] is True


async def test_unknown_ids_answer_discord_codes(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient
) -> None:
    ids = sandbox_server.ids()
    guild, general = ids["Sandbox Guild"], ids["#general"]

    cases = {
        "/channels/1": 10003,
        f"/channels/{general}/messages/1": 10008,
        "/guilds/1": 10004,
        f"/guilds/{guild}/members/{ids['oscar']}": 10007,
        f"/guilds/{guild}/members/1": 10013,
        "/users/1": 10013,
    }
    for path, code in cases.items():
        answer = await rest.get(path)
        assert (answer.status_code, answer.json()["code"]) == (404, code), path


async def test_message_limits_are_enforced(sandbox_server: SandboxServer, rest: httpx.AsyncClient) -> None:
    path = f"/channels/{sandbox_server.ids()['#general']}/messages"
    row = {"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": "go"}]}

    empty = await rest.post(path, json={"content": ""})
    long_content = await rest.post(path, json={"content": "x" * 2001})
    six_rows = await rest.post(path, json={"content": "hi", "components": [row] * 6})
    long_id = {"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": "c" * 101}]}
    long_custom_id = await rest.post(path, json={"content": "hi", "components": [long_id]})
    eleven_embeds = await rest.post(path, json={"embeds": [{"title": "t"}] * 11})

    assert (empty.status_code, empty.json()["code"]) == (400, 50006)
    assert long_content.json()["errors"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    assert six_rows.json()["code"] == 50035 and "components" in six_rows.json()["errors"]
    assert "custom_id" in long_custom_id.json()["errors"]["components"]["0"]["components"]["0"]
    assert eleven_embeds.json()["code"] == 50035


async def test_rate_limit_answers_429_with_retry_after(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient
) -> None:
    path = f"/channels/{sandbox_server.ids()['#rpg']}/messages"
    answers = [await rest.post(path, json={"content": f"m{i}"}) for i in range(6)]

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert (
        answers[4].headers["x-ratelimit-remaining"] == "0" and answers[0].headers["x-ratelimit-limit"] == "5"
    )
    limited = answers[5]
    assert limited.json()["global"] is False and 0 < limited.json()["retry_after"] <= 5
    assert int(limited.headers["retry-after"]) >= 1 and limited.headers["via"]

    await sandbox_server.api.post("/faults", json={"rate_limits": False})
    assert (await rest.post(path, json={"content": "unlimited"})).status_code == 200


async def test_injected_500_then_recovery_is_logged(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient
) -> None:
    await sandbox_server.api.post("/faults", json={"rest_500": 1})

    assert (await rest.get("/users/@me")).status_code == 500
    assert (await rest.get("/users/@me")).status_code == 200
    log = (await sandbox_server.api.get("/log")).json()
    assert [(c["method"], c["status"]) for c in log] == [("GET", 500), ("GET", 200)]
    assert log[0]["path"] == "/sandbox/discord/api/v10/users/@me" and log[0]["at"]


async def test_members_list_and_search(sandbox_server: SandboxServer, rest: httpx.AsyncClient) -> None:
    guild = sandbox_server.ids()["Sandbox Guild"]

    first = (await rest.get(f"/guilds/{guild}/members", params={"limit": 5})).json()
    rest_of = (
        await rest.get(f"/guilds/{guild}/members", params={"limit": 1000, "after": first[-1]["user"]["id"]})
    ).json()
    found = (await rest.get(f"/guilds/{guild}/members/search", params={"query": "erin", "limit": 10})).json()

    assert len(first) == 5 and len(first) + len(rest_of) == len(
        sandbox_server.sandbox.state.guilds[guild].members
    )
    assert [m["nick"] for m in found] == ["Erin the Bold"]


async def test_bulk_overwrite_keeps_command_ids(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient
) -> None:
    app_id = sandbox_server.sandbox.state.application.id
    guild = sandbox_server.ids()["Sandbox Guild"]
    path = f"/applications/{app_id}/guilds/{guild}/commands"
    commands = [{"name": "game", "description": "Games", "type": 1}, {"name": "ping", "description": "Ping"}]

    first = (await rest.put(path, json=commands)).json()
    second = (await rest.put(path, json=commands[:1])).json()
    bad = await rest.put(path, json=[{"name": "Bad Name", "description": "x"}])

    assert second[0]["id"] == first[0]["id"] and [c["name"] for c in (await rest.get(path)).json()] == [
        "game"
    ]
    assert bad.status_code == 400 and bad.json()["code"] == 50035


async def test_world_matches_the_pinned_shape(sandbox_server: SandboxServer) -> None:
    world = (await sandbox_server.api.get("/world")).json()

    assert set(world) >= {"application", "bot_user", "users", "guilds"}
    usernames = {u["username"] for u in world["users"]}
    assert {"alice", "bob", "carol", "dave", "erin", "frank"} <= usernames
    assert [u["username"] for u in world["users"] if not u["dms_open"]] == ["mallory"]
    sandbox_guild = next(g for g in world["guilds"] if g["name"] == "Sandbox Guild")
    alice = next(u for u in world["users"] if u["username"] == "alice")
    assert sandbox_guild["owner_id"] == alice["id"] and len(sandbox_guild["members"]) >= 12
    assert {"Game Host", "Player"} <= {r["name"] for r in sandbox_guild["roles"]}
    assert {"general", "board-games", "rpg", "archive"} <= {c["name"] for c in sandbox_guild["channels"]}
    other = next(g for g in world["guilds"] if g["name"] == "Other Guild")
    assert alice["id"] not in {m["user_id"] for m in other["members"]}
    assert all(isinstance(g["id"], str) for g in world["guilds"])


async def test_control_api_changes_the_world(sandbox_server: SandboxServer) -> None:
    api = sandbox_server.api
    guild = sandbox_server.ids()["Sandbox Guild"]

    user = (await api.post("/users", json={"username": "yara", "dms_open": False})).json()
    role = (await api.post(f"/guilds/{guild}/roles", json={"name": "Referee", "permissions": 32})).json()
    member = (
        await api.put(f"/guilds/{guild}/members/{user['id']}", json={"nick": "Y", "roles": [role["id"]]})
    ).json()
    channel = (await api.post(f"/guilds/{guild}/channels", json={"name": "lfg", "type": 0})).json()
    unknown = await api.put(f"/guilds/1/members/{user['id']}", json={})

    assert member["roles"] == [role["id"]] and member["display_name"] == "Y"
    assert sandbox_server.sandbox.state.permissions_for(guild, int(user["id"])) & 32
    assert (
        channel["name"] == "lfg" and unknown.status_code == 404 and unknown.json()["error"] == "unknown_guild"
    )

    assert (await api.post("/reset")).status_code == 200
    assert "yara" not in {u["username"] for u in (await api.get("/world")).json()["users"]}


async def test_dms_fail_with_50278_without_a_mutual_guild_and_50007_when_closed(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient
) -> None:
    stranger = (await sandbox_server.api.post("/users", json={"username": "stranger"})).json()
    answers = {}
    for name, user_id in (("stranger", stranger["id"]), ("mallory", str(sandbox_server.ids()["mallory"]))):
        dm = (await rest.post("/users/@me/channels", json={"recipient_id": user_id})).json()
        answers[name] = await rest.post(f"/channels/{dm['id']}/messages", json={"content": "hello"})

    assert (answers["stranger"].status_code, answers["stranger"].json()) == (
        400,
        {"code": 50278, "message": "Cannot send messages to this user due to having no mutual guilds"},
    )
    assert (answers["mallory"].status_code, answers["mallory"].json()["code"]) == (403, 50007)


async def test_objects_come_back_in_discords_shape(
    sandbox_server: SandboxServer, rest: httpx.AsyncClient
) -> None:
    ids = sandbox_server.ids()
    app_id = sandbox_server.sandbox.state.application.id
    row = {"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": "go"}]}
    select = {
        "type": 1,
        "components": [{"type": 3, "custom_id": "pick", "options": [{"label": "A", "value": "a"}]}],
    }
    embed = {"title": "t", "fields": [{"name": "n", "value": "v"}]}

    message = (
        await rest.post(
            f"/channels/{ids['#general']}/messages", json={"embeds": [embed], "components": [row, select]}
        )
    ).json()
    dm = (await rest.post("/users/@me/channels", json={"recipient_id": str(ids["bob"])})).json()
    application = (await rest.get("/oauth2/applications/@me")).json()
    command = (
        await rest.post(
            f"/applications/{app_id}/commands",
            json={"name": "config", "description": "Settings", "default_member_permissions": 32},
        )
    ).json()

    assert [c["id"] for c in message["components"]] == [1, 3]
    assert [c["components"][0]["id"] for c in message["components"]] == [2, 4]
    assert (
        message["components"][1]["components"][0] | {"min_values": 1, "max_values": 1}
        == message["components"][1]["components"][0]
    )
    assert message["embeds"][0]["type"] == "rich" and message["embeds"][0]["fields"][0]["inline"] is False
    assert message["author"]["primary_guild"] is None
    assert dm["flags"] == 0
    assert {"flags_new", "explicit_content_filter", "approximate_user_install_count", "team"} <= set(
        application
    )
    assert command["default_member_permissions"] == "32"
