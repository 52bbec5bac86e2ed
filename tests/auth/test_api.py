"""Login with Discord over HTTP, end to end: the app, the real sandbox OAuth2 and the bot's view of guilds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from discord_sandbox import oauth_store
from gamesched.app import App
from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from tests.conftest import serving
from tests.login import login_as

from .conftest import sandbox_ids

LOGIN_REQUIRED = {"error": "unauthorized", "message": "Log in with Discord first."}


async def start_login(browser: httpx.AsyncClient, next_path: str | None = None) -> str:
    """GET /api/v1/auth/login; return Discord's (the sandbox's) authorize URL."""
    params = {"next": next_path} if next_path is not None else {}
    response = await browser.get("/api/v1/auth/login", params=params)
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def pick(browser: httpx.AsyncClient, authorize_url: str, username: str | None) -> str:
    """Choose ``username`` on the sandbox's consent page (None: cancel); return where Discord sends us."""
    ids = await sandbox_ids(browser)
    form = {"user_id": str(ids[username])} if username else {"action": "cancel"}
    response = await browser.post(authorize_url, data=form)
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def log_in(browser: httpx.AsyncClient, username: str, next_path: str | None = None) -> httpx.Response:
    """The whole round trip; returns the callback's response."""
    callback = await pick(browser, await start_login(browser, next_path), username)
    return await browser.get(callback)


def set_cookie(response: httpx.Response, name: str) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    return headers[0]


def with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return parts._replace(query=str(httpx.QueryParams(query))).geturl()


async def test_login_round_trip_shows_the_owner_and_her_guild(
    auth_app: App, browser: httpx.AsyncClient
) -> None:
    async with await login_as(auth_app.base_url, "alice") as alice:
        me = (await alice.get("/api/v1/me")).json()

    ids = await sandbox_ids(browser)
    assert me == {
        "user": {
            "discord_id": str(ids["alice"]),
            "username": "alice",
            "global_name": "Alice Anders",
            "display_name": "Alice Anders",
            "avatar_url": None,
        },
        "guilds": [
            {
                "id": str(ids["Sandbox Guild"]),
                "name": "Sandbox Guild",
                "icon_url": None,
                "is_manager": True,
                "can_host": True,
            }
        ],
    }


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("bob", {"Other Guild": (False, False), "Sandbox Guild": (False, False)}),
        ("carol", {"Sandbox Guild": (True, True)}),  # Moderator has Manage Server
        ("peggy", {"Other Guild": (True, True)}),  # Organizer has Manage Server
        ("trent", {"Other Guild": (False, False)}),
    ],
)
async def test_me_lists_exactly_the_shared_guilds_with_standing(
    auth_app: App, username: str, expected: dict[str, tuple[bool, bool]]
) -> None:
    async with await login_as(auth_app.base_url, username) as client:
        me = (await client.get("/api/v1/me")).json()

    assert me["user"]["username"] == username
    assert {g["name"]: (g["is_manager"], g["can_host"]) for g in me["guilds"]} == expected
    assert [g["name"] for g in me["guilds"]] == sorted(expected)


async def test_a_user_in_no_guild_of_the_bot_sees_no_guilds(
    auth_app: App, browser: httpx.AsyncClient
) -> None:
    created = await browser.post("/sandbox/api/users", json={"username": "newcomer"})
    assert created.status_code in (200, 201), created.text

    async with await login_as(auth_app.base_url, "newcomer") as newcomer:
        me = (await newcomer.get("/api/v1/me")).json()

    assert me["user"]["username"] == "newcomer" and me["user"]["display_name"] == "newcomer"
    assert me["guilds"] == []


async def test_me_without_a_session_is_unauthorized(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/api/v1/me")
    forged = await browser.get("/api/v1/me", headers={"cookie": "gamesched_session=not-a-session"})

    assert response.status_code == 401 and response.json() == LOGIN_REQUIRED
    assert forged.status_code == 401 and forged.json() == LOGIN_REQUIRED


async def test_login_redirects_to_discord_with_a_browser_bound_state(
    auth_app: App, browser: httpx.AsyncClient
) -> None:
    response = await browser.get("/api/v1/auth/login", params={"next": "/games"})

    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{auth_app.base_url}/sandbox/discord/oauth2/authorize"
    )
    assert query == {
        "client_id": auth_app.sandbox.client_id,
        "redirect_uri": f"{auth_app.base_url}/api/v1/auth/callback",
        "response_type": "code",
        "scope": "identify guilds guilds.members.read",
        "state": query["state"],
        "prompt": "none",
    }
    assert len(query["state"]) >= 43
    cookie = set_cookie(response, "gamesched_login").lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/api/v1/auth" in cookie


async def test_callback_sets_an_httponly_lax_session_cookie_and_returns_to_next(
    browser: httpx.AsyncClient,
) -> None:
    response = await log_in(browser, "dave", next_path="/games?status=scheduled")

    assert response.status_code == 302
    assert response.headers["location"] == "/games?status=scheduled"
    cookie = set_cookie(response, "gamesched_session")
    session_id = cookie.split(";")[0].split("=", 1)[1]
    flags = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert len(session_id) >= 43
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # plain http in tests; https base URLs get Secure
    assert (await browser.get("/api/v1/me")).json()["user"]["username"] == "dave"


def flags(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


async def test_behind_an_https_proxy_the_session_cookie_is_secure_httponly_and_lax(
    browser: httpx.AsyncClient,
) -> None:
    # As through a TLS-terminating proxy on this machine (uvicorn trusts 127.0.0.1's X-Forwarded-Proto).
    https = {"x-forwarded-proto": "https"}
    started = await browser.get("/api/v1/auth/login", headers=https)
    login_cookie = set_cookie(started, "gamesched_login")
    callback = await pick(browser, started.headers["location"], "dave")
    # A browser sends a Secure cookie back over https; httpx would not on this plain-http hop, so by hand.
    done = await browser.get(callback, headers={**https, "cookie": login_cookie.split(";")[0]})

    assert done.status_code == 302, done.text
    session = flags(set_cookie(done, "gamesched_session"))
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= session
    assert {"secure", "httponly", "samesite=lax"} <= flags(login_cookie)
    assert {"secure", "samesite=lax"} <= flags(set_cookie(done, "csrftoken"))  # read by the pages' script


@pytest.fixture
async def https_site(app_settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    # Real Discord's login (no bot token: nothing connects anywhere); the login cookie comes before Discord.
    settings = app_settings.with_overrides(
        public_url="https://games.example.org", discord_client_id="77", discord_client_secret="pw"
    )
    async with serving(settings, clock=clock) as app:
        yield app


async def test_a_site_with_an_https_public_url_sets_secure_cookies_even_on_a_plain_hop(
    https_site: App,
) -> None:
    # The proxy in front need not say so: the public URL is https, so the browser only ever speaks https.
    listening = f"http://127.0.0.1:{https_site.settings.http_port}"
    async with httpx.AsyncClient(base_url=listening) as browser:
        started = await browser.get("/api/v1/auth/login")

    assert started.status_code == 302
    query = parse_qs(urlsplit(started.headers["location"]).query)
    assert query["redirect_uri"] == ["https://games.example.org/api/v1/auth/callback"]
    assert {"secure", "httponly", "samesite=lax"} <= flags(set_cookie(started, "gamesched_login"))
    assert "secure" in flags(set_cookie(started, "csrftoken"))


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example", "/\\evil.example", "http:/evil.example"]
)
async def test_next_cannot_send_people_off_site(browser: httpx.AsyncClient, target: str) -> None:
    response = await log_in(browser, "erin", next_path=target)

    assert response.status_code == 302 and response.headers["location"] == "/"


async def test_a_login_state_works_only_once(browser: httpx.AsyncClient) -> None:
    callback = await pick(browser, await start_login(browser), "frank")
    first = await browser.get(callback)
    await browser.post("/api/v1/auth/logout", headers={"x-csrftoken": browser.cookies["csrftoken"]})

    replay = await browser.get(callback)

    assert first.status_code == 302
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_state"
    assert "gamesched_session" not in replay.headers.get("set-cookie", "")
    assert (await browser.get("/api/v1/me")).status_code == 401


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"state": None}, "invalid_state"),
        ({"state": "made-up-state-" + "x" * 30}, "invalid_state"),
        ({"code": "not-a-code"}, "login_failed"),
        ({"code": None}, "login_failed"),
    ],
)
async def test_a_broken_callback_is_a_clear_400_and_opens_no_session(
    browser: httpx.AsyncClient, change: dict[str, str | None], expected: str
) -> None:
    callback = await pick(browser, await start_login(browser), "grace")

    response = await browser.get(with_query(callback, **change))

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == expected and body["message"].endswith(".")
    assert "gamesched_session" not in response.headers.get("set-cookie", "")
    assert (await browser.get("/api/v1/me")).status_code == 401


async def test_a_callback_in_another_browser_is_refused(auth_app: App, browser: httpx.AsyncClient) -> None:
    callback = await pick(browser, await start_login(browser), "heidi")

    async with httpx.AsyncClient(base_url=auth_app.base_url) as other_browser:
        response = await other_browser.get(callback)
        me = await other_browser.get("/api/v1/me")

    assert response.status_code == 400 and response.json()["error"] == "invalid_state"
    assert me.status_code == 401


async def test_cancelling_on_discord_is_a_400_access_denied(browser: httpx.AsyncClient) -> None:
    callback = await pick(browser, await start_login(browser), None)

    response = await browser.get(callback)

    assert response.status_code == 400
    assert response.json() == {"error": "access_denied", "message": "You cancelled the login on Discord."}
    assert (await browser.get("/api/v1/me")).status_code == 401


async def test_login_state_expires_after_ten_minutes(browser: httpx.AsyncClient, clock: FakeClock) -> None:
    callback = await pick(browser, await start_login(browser), "ivan")

    clock.advance(minutes=10, seconds=1)
    response = await browser.get(callback)

    assert response.status_code == 400 and response.json()["error"] == "invalid_state"


async def test_logging_in_again_replaces_the_old_session(auth_app: App, browser: httpx.AsyncClient) -> None:
    await log_in(browser, "judy")
    old = browser.cookies["gamesched_session"]

    await log_in(browser, "judy")

    assert browser.cookies["gamesched_session"] != old
    stale = await browser.get("/api/v1/me", headers={"cookie": f"gamesched_session={old}"})
    assert stale.status_code == 401


async def test_logout_ends_the_session(auth_app: App) -> None:
    async with await login_as(auth_app.base_url, "niaj") as niaj:
        session_id = niaj.cookies["gamesched_session"]

        response = await niaj.post("/api/v1/auth/logout")

        assert response.status_code == 204
        assert "max-age=0" in set_cookie(response, "gamesched_session").lower()
        assert (await niaj.get("/api/v1/me")).json() == LOGIN_REQUIRED
        replay = await niaj.get("/api/v1/me", headers={"cookie": f"gamesched_session={session_id}"})
        assert replay.status_code == 401


async def test_post_without_the_csrf_header_is_forbidden(browser: httpx.AsyncClient) -> None:
    await log_in(browser, "oscar")
    await browser.get("/api/v1/me")  # a safe request hands out the csrftoken cookie

    missing = await browser.post("/api/v1/auth/logout")
    wrong = await browser.post("/api/v1/auth/logout", headers={"x-csrftoken": "0" * 128})

    assert missing.status_code == 403 and missing.json()["error"] == "forbidden"
    assert wrong.status_code == 403
    assert (await browser.get("/api/v1/me")).status_code == 200  # still logged in


async def test_an_expired_access_token_is_refreshed_transparently(
    auth_app: App, browser: httpx.AsyncClient, clock: FakeClock
) -> None:
    await log_in(browser, "peggy")
    store = oauth_store(auth_app.sandbox)
    first_tokens = {grant.access_token for grant in store.by_access.values()}

    # Discord's access tokens last 7 days; a session stays alive while used at least once a day.
    for _ in range(9):
        clock.advance(hours=20)
        me = await browser.get("/api/v1/me")
        assert me.status_code == 200 and me.json()["user"]["username"] == "peggy"

    live_tokens = {grant.access_token for grant in store.by_access.values()}
    assert live_tokens and not live_tokens & first_tokens  # the old grant was exchanged for a new one


async def test_parallel_requests_share_one_refresh(
    auth_app: App, browser: httpx.AsyncClient, clock: FakeClock
) -> None:
    await log_in(browser, "grace")
    for _ in range(8):
        clock.advance(hours=20)
        assert (await browser.get("/api/v1/me")).status_code == 200
    clock.advance(hours=20)

    responses = await asyncio.gather(*(browser.get("/api/v1/me") for _ in range(8)))

    assert [r.status_code for r in responses] == [200] * 8
    assert (await browser.get("/api/v1/me")).status_code == 200


async def test_a_refused_refresh_ends_the_session(
    auth_app: App, browser: httpx.AsyncClient, clock: FakeClock
) -> None:
    await log_in(browser, "trent")
    for _ in range(8):  # 160 h: the session is alive and the access token still valid
        clock.advance(hours=20)
        assert (await browser.get("/api/v1/me")).status_code == 200
    store = oauth_store(auth_app.sandbox)
    for grant in list(store.by_refresh.values()):
        store.revoke(grant)  # the user removed the app's authorization on Discord

    clock.advance(hours=20)  # past the access token's 7 days: the refresh is refused
    first = await browser.get("/api/v1/me")
    second = await browser.get("/api/v1/me")

    assert first.status_code == 401 and first.json() == LOGIN_REQUIRED
    assert second.status_code == 401


async def test_an_unreachable_discord_does_not_end_the_session(
    auth_app: App, browser: httpx.AsyncClient, clock: FakeClock
) -> None:
    await log_in(browser, "heidi")
    for _ in range(8):
        clock.advance(hours=20)
        assert (await browser.get("/api/v1/me")).status_code == 200
    store = oauth_store(auth_app.sandbox)
    first_tokens = set(store.by_access)
    fault = await browser.post("/sandbox/api/faults", json={"rest_500": 1})
    assert fault.status_code in (200, 204), fault.text

    clock.advance(hours=20)
    during_outage = await browser.get("/api/v1/me")
    after_outage = await browser.get("/api/v1/me")

    assert during_outage.status_code == 200 and after_outage.status_code == 200
    assert set(store.by_access) and not set(store.by_access) & first_tokens  # refreshed on the retry


async def test_a_session_idle_for_a_day_ends(browser: httpx.AsyncClient, clock: FakeClock) -> None:
    await log_in(browser, "alice")
    clock.advance(hours=23)
    assert (await browser.get("/api/v1/me")).status_code == 200  # use restarts the idle timer

    clock.advance(hours=23)
    assert (await browser.get("/api/v1/me")).status_code == 200
    clock.advance(hours=24, seconds=1)
    assert (await browser.get("/api/v1/me")).status_code == 401


async def test_the_login_routes_are_documented(browser: httpx.AsyncClient) -> None:
    paths = (await browser.get("/schema/openapi.json")).json()["paths"]

    assert {"/api/v1/auth/login", "/api/v1/auth/callback", "/api/v1/auth/logout", "/api/v1/me"} <= set(paths)
    login_params = {p["name"] for p in paths["/api/v1/auth/login"]["get"].get("parameters", [])}
    callback_params = {p["name"] for p in paths["/api/v1/auth/callback"]["get"].get("parameters", [])}
    assert login_params == {"next"}
    assert callback_params == {"code", "state", "error"}


async def test_a_session_id_planted_before_the_login_is_never_the_session(
    auth_app: App, browser: httpx.AsyncClient
) -> None:
    """Session fixation: an attacker who set the victim's session cookie must not share her session."""
    planted = "p" * 43
    browser.cookies.set("gamesched_session", planted, domain=urlsplit(str(browser.base_url)).hostname or "")
    response = await log_in(browser, "judy")

    session_id = set_cookie(response, "gamesched_session").split(";")[0].split("=", 1)[1]
    assert session_id != planted and browser.cookies["gamesched_session"] == session_id
    attacker = await browser.get("/api/v1/me", headers={"cookie": f"gamesched_session={planted}"})
    assert attacker.status_code == 401
    assert (await browser.get("/api/v1/me")).json()["user"]["username"] == "judy"
