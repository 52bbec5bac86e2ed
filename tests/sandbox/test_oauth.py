"""The sandbox's OAuth2 as an app sees it: authorize page, code exchange, refresh and the bearer endpoints."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from discord_sandbox import ALL_PERMISSIONS, oauth_store

from .conftest import SandboxServer

REDIRECT_URI = "http://127.0.0.1:9/auth/callback"
SCOPES = "identify guilds guilds.members.read"


@pytest.fixture
async def http(sandbox_server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sandbox_server.base_url}/sandbox/discord", timeout=10) as client:
        yield client


def authorize_query(sandbox_server: SandboxServer, **overrides: str) -> dict[str, str]:
    query = {
        "client_id": sandbox_server.sandbox.client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": SCOPES,
        "state": "st4te-xyz",
        "prompt": "consent",
    }
    return query | overrides


async def log_in(
    http: httpx.AsyncClient, sandbox_server: SandboxServer, username: str, **overrides: str
) -> str:
    """Pick `username` on the authorize page; return the code the app receives."""
    user_id = sandbox_server.ids()[username]
    response = await http.post(
        "/oauth2/authorize",
        params=authorize_query(sandbox_server, **overrides),
        data={"user_id": str(user_id)},
    )
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


async def exchange(
    http: httpx.AsyncClient, sandbox_server: SandboxServer, code: str, redirect_uri: str = REDIRECT_URI
) -> httpx.Response:
    sandbox = sandbox_server.sandbox
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
    }
    return await http.post("/api/v10/oauth2/token", data=form)


async def token_for(http: httpx.AsyncClient, sandbox_server: SandboxServer, username: str) -> dict[str, str]:
    response = await exchange(http, sandbox_server, await log_in(http, sandbox_server, username))
    assert response.status_code == 200, response.text
    return dict(response.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_authorize_page_lists_members_scopes_and_app(
    http: httpx.AsyncClient, sandbox_server: SandboxServer
) -> None:
    response = await http.get("/oauth2/authorize", params=authorize_query(sandbox_server))

    assert response.status_code == 200
    page = response.text
    assert "Log in to the sandbox as" in page and "gamesched" in page
    assert "Alice Anders" in page and "@alice" in page and "Sandbox Guild, Other Guild" in page  # bob
    assert f'value="{sandbox_server.ids()["mallory"]}"' in page
    assert "guilds.members.read" in page
    assert 'value="' + str(sandbox_server.sandbox.state.application.bot_user_id) + '"' not in page


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"client_id": "42"}, "Unknown client_id"),
        ({"response_type": "token"}, "Unsupported response_type"),
        ({"redirect_uri": ""}, "Invalid redirect_uri"),
    ],
)
async def test_authorize_rejects_bad_requests_with_a_clear_page(
    http: httpx.AsyncClient, sandbox_server: SandboxServer, override: dict[str, str], complaint: str
) -> None:
    response = await http.get("/oauth2/authorize", params=authorize_query(sandbox_server, **override))

    assert response.status_code == 400
    assert complaint in response.text


async def test_picking_a_member_redirects_back_with_code_and_state(
    http: httpx.AsyncClient, sandbox_server: SandboxServer
) -> None:
    response = await http.post(
        "/oauth2/authorize",
        params=authorize_query(sandbox_server),
        data={"user_id": str(sandbox_server.ids()["bob"])},
    )

    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["st4te-xyz"] and len(query["code"][0]) > 20


async def test_cancel_redirects_with_access_denied(
    http: httpx.AsyncClient, sandbox_server: SandboxServer
) -> None:
    response = await http.post(
        "/oauth2/authorize", params=authorize_query(sandbox_server), data={"action": "cancel"}
    )

    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["st4te-xyz"] and "code" not in query


async def test_full_flow_identifies_the_member_and_their_guilds(
    http: httpx.AsyncClient, sandbox_server: SandboxServer
) -> None:
    ids = sandbox_server.ids()
    state = sandbox_server.sandbox.state

    tokens = await token_for(http, sandbox_server, "bob")
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 604800 and tokens["scope"] == SCOPES
    me = await http.get("/api/v10/users/@me", headers=bearer(tokens["access_token"]))
    guilds = await http.get("/api/v10/users/@me/guilds", headers=bearer(tokens["access_token"]))

    assert me.status_code == 200 and me.json()["id"] == str(ids["bob"]) and me.json()["username"] == "bob"
    by_name = {g["name"]: g for g in guilds.json()}
    assert set(by_name) == {"Sandbox Guild", "Other Guild"}
    sandbox_guild = by_name["Sandbox Guild"]
    assert sandbox_guild["id"] == str(ids["Sandbox Guild"]) and sandbox_guild["owner"] is False
    assert sandbox_guild["permissions"] == str(state.permissions_for(ids["Sandbox Guild"], ids["bob"]))
    assert sandbox_guild["permissions"] != str(ALL_PERMISSIONS)


async def test_owner_gets_all_permissions_and_only_their_guilds(
    http: httpx.AsyncClient, sandbox_server: SandboxServer
) -> None:
    tokens = await token_for(http, sandbox_server, "alice")

    guilds = (await http.get("/api/v10/users/@me/guilds", headers=bearer(tokens["access_token"]))).json()

    assert [(g["name"], g["owner"], g["permissions"]) for g in guilds] == [
        ("Sandbox Guild", True, str(ALL_PERMISSIONS))
    ]


async def test_guild_member_endpoint_returns_nick_and_roles_or_unknown_guild(
    http: httpx.AsyncClient, sandbox_server: SandboxServer
) -> None:
    ids = sandbox_server.ids()
    tokens = await token_for(http, sandbox_server, "bob")
    alice = await token_for(http, sandbox_server, "alice")

    member = await http.get(
        f"/api/v10/users/@me/guilds/{ids['Sandbox Guild']}/member", headers=bearer(tokens["access_token"])
    )
    stranger = await http.get(
        f"/api/v10/users/@me/guilds/{ids['Other Guild']}/member", headers=bearer(alice["access_token"])
    )

    assert member.status_code == 200
    body = member.json()
    assert body["nick"] == "Bobby" and body["user"]["id"] == str(ids["bob"])
    assert set(body["roles"]) == {str(ids["@Game Host"]), str(ids["@Player"])}
    assert stranger.status_code == 404 and stranger.json() == {"message": "Unknown Guild", "code": 10004}


async def test_missing_scope_is_unauthorized(http: httpx.AsyncClient, sandbox_server: SandboxServer) -> None:
    code = await log_in(http, sandbox_server, "carol", scope="identify")
    tokens = (await exchange(http, sandbox_server, code)).json()

    me = await http.get("/api/v10/users/@me", headers=bearer(tokens["access_token"]))
    guilds = await http.get("/api/v10/users/@me/guilds", headers=bearer(tokens["access_token"]))

    assert me.status_code == 200 and tokens["scope"] == "identify"
    assert guilds.status_code == 401 and guilds.json() == {"message": "401: Unauthorized", "code": 0}


async def test_code_is_single_use(http: httpx.AsyncClient, sandbox_server: SandboxServer) -> None:
    code = await log_in(http, sandbox_server, "dave")

    first = await exchange(http, sandbox_server, code)
    second = await exchange(http, sandbox_server, code)

    assert first.status_code == 200
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"


async def test_redirect_uri_must_match_the_one_authorized(
    http: httpx.AsyncClient, sandbox_server: SandboxServer
) -> None:
    code = await log_in(http, sandbox_server, "dave")

    response = await exchange(http, sandbox_server, code, redirect_uri="http://127.0.0.1:9/elsewhere")

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": 'Invalid "redirect_uri" in request.',
    }


async def test_client_credentials_by_basic_auth_and_wrong_secret(
    http: httpx.AsyncClient, sandbox_server: SandboxServer
) -> None:
    sandbox = sandbox_server.sandbox
    form = {"grant_type": "authorization_code", "redirect_uri": REDIRECT_URI}

    wrong = await http.post(
        "/api/oauth2/token",
        data=form | {"code": await log_in(http, sandbox_server, "erin")},
        auth=(sandbox.client_id, "not-the-secret"),
    )
    basic = base64.b64encode(f"{sandbox.client_id}:{sandbox.client_secret}".encode()).decode()
    right = await http.post(
        "/api/oauth2/token",
        data=form | {"code": await log_in(http, sandbox_server, "erin")},
        headers={"Authorization": f"Basic {basic}"},
    )

    assert wrong.status_code == 401 and wrong.json() == {"error": "invalid_client"}
    assert right.status_code == 200 and right.json()["access_token"]


async def test_expired_code_is_rejected(http: httpx.AsyncClient, sandbox_server: SandboxServer) -> None:
    store = oauth_store(sandbox_server.sandbox)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    store.clock = lambda: start
    code = await log_in(http, sandbox_server, "frank")

    store.clock = lambda: start + timedelta(minutes=10, seconds=1)
    response = await exchange(http, sandbox_server, code)

    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_expired_access_token_is_unauthorized(
    http: httpx.AsyncClient, sandbox_server: SandboxServer
) -> None:
    store = oauth_store(sandbox_server.sandbox)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    store.clock = lambda: start
    tokens = await token_for(http, sandbox_server, "frank")

    store.clock = lambda: start + timedelta(days=7, seconds=1)
    me = await http.get("/api/v10/users/@me", headers=bearer(tokens["access_token"]))

    assert me.status_code == 401


async def test_refresh_issues_new_tokens_and_retires_the_old_ones(
    http: httpx.AsyncClient, sandbox_server: SandboxServer
) -> None:
    sandbox = sandbox_server.sandbox
    old = await token_for(http, sandbox_server, "grace")
    form = {
        "grant_type": "refresh_token",
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
    }

    refreshed = await http.post("/api/v10/oauth2/token", data=form | {"refresh_token": old["refresh_token"]})
    replay = await http.post("/api/v10/oauth2/token", data=form | {"refresh_token": old["refresh_token"]})

    new = refreshed.json()
    assert refreshed.status_code == 200 and new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"] and new["scope"] == SCOPES
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    me = await http.get("/api/v10/users/@me", headers=bearer(new["access_token"]))
    assert me.status_code == 200 and me.json()["username"] == "grace"
    assert (await http.get("/api/v10/users/@me", headers=bearer(old["access_token"]))).status_code == 401


async def test_unknown_bearer_token_is_unauthorized(
    http: httpx.AsyncClient, sandbox_server: SandboxServer
) -> None:
    for path in ("/api/v10/users/@me", "/api/v10/users/@me/guilds"):
        response = await http.get(path, headers=bearer("nope"))

        assert response.status_code == 401
        assert response.json() == {"message": "401: Unauthorized", "code": 0}


async def test_unsupported_grant_type(http: httpx.AsyncClient, sandbox_server: SandboxServer) -> None:
    sandbox = sandbox_server.sandbox
    form = {"grant_type": "password", "client_id": sandbox.client_id, "client_secret": sandbox.client_secret}

    response = await http.post("/api/v10/oauth2/token", data=form)

    assert response.status_code == 400 and response.json() == {"error": "unsupported_grant_type"}
