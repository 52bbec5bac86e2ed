"""Security headers on every kind of response, and CSRF tokens that only work with their own session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from gamesched.app import App
from gamesched.core.config import Settings
from tests.conftest import serving
from tests.games.conftest import create_game
from tests.login import login_as
from tests.world import fetch_world

HTML = {"accept": "text/html"}
SAME_FOR_EVERY_RESPONSE = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def assert_protected(response: httpx.Response) -> None:
    for name, value in SAME_FOR_EVERY_RESPONSE.items():
        assert response.headers.get(name) == value, (response.url, name, response.headers)
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


async def test_pages_api_static_files_and_errors_carry_the_security_headers(running_app: App) -> None:
    async with httpx.AsyncClient(base_url=running_app.base_url) as client:
        responses = [
            await client.get("/login", headers=HTML),  # a page
            await client.get("/no/such/page", headers=HTML),  # the 404 page (no route matched)
            await client.get("/games/new", headers=HTML),  # 303 to the login page
            await client.get("/api/v1/me"),  # a JSON error (401)
            await client.get("/api/v1/nothing-here"),  # a JSON 404
            await client.post("/api/v1/auth/logout"),  # refused by the CSRF check (403)
            await client.get("/health"),
            await client.get("/static/app.css"),
            await client.get("/schema/openapi.json"),
        ]
    assert [r.status_code for r in responses] == [200, 404, 303, 401, 404, 403, 200, 200, 200]
    for response in responses:
        assert_protected(response)
        assert "strict-transport-security" not in response.headers  # plain http: HSTS would be ignored


async def test_https_requests_get_hsts(running_app: App) -> None:
    async with httpx.AsyncClient(base_url=running_app.base_url) as client:
        # As through a TLS-terminating proxy on this machine (uvicorn trusts 127.0.0.1's X-Forwarded-Proto).
        response = await client.get("/login", headers={**HTML, "x-forwarded-proto": "https"})
    assert response.headers["strict-transport-security"] == "max-age=31536000"


@pytest.fixture
async def https_site(app_settings: Settings) -> AsyncIterator[App]:
    async with serving(app_settings.with_overrides(public_url="https://games.example.org")) as app:
        yield app


async def test_a_site_with_an_https_public_url_sends_hsts_on_every_response(https_site: App) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{https_site.settings.http_port}") as client:
        page = await client.get("/login", headers=HTML)
        api = await client.get("/api/v1/me")
    for response in (page, api):
        assert response.headers["strict-transport-security"] == "max-age=31536000"
        assert_protected(response)
    assert "secure" in page.headers["set-cookie"].lower()  # the CSRF cookie is https-only as well


async def test_the_schema_viewer_may_load_its_cdn_script_but_not_be_framed(running_app: App) -> None:
    async with httpx.AsyncClient(base_url=running_app.base_url) as client:
        viewer = await client.get("/schema", headers=HTML)
    assert viewer.status_code == 200
    policy = viewer.headers["content-security-policy"]
    assert "script-src https:" in policy and "frame-ancestors 'none'" in policy
    assert viewer.headers["x-frame-options"] == "DENY"


async def test_a_csrf_token_from_another_session_is_refused(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    async with (
        await login_as(sandbox_app.base_url, "alice") as alice,
        await login_as(sandbox_app.base_url, "bob") as bob,
    ):
        game = await create_game(alice, world)
        bobs_token = bob.cookies["csrftoken"]
        # Bob's valid cookie and header, planted in Alice's browser (e.g. by a sibling subdomain).
        planted = {
            "cookie": f"gamesched_session={alice.cookies['gamesched_session']}; csrftoken={bobs_token}"
        }
        async with httpx.AsyncClient(base_url=sandbox_app.base_url) as attacker:
            api = await attacker.delete(
                f"/api/v1/games/{game['id']}", headers={**planted, "x-csrftoken": bobs_token}
            )
            form = await attacker.post(
                f"/games/{game['id']}/cancel", data={"_csrf_token": bobs_token}, headers={**planted, **HTML}
            )
        assert api.status_code == 403 and api.json()["error"] == "forbidden"
        assert form.status_code == 403 and "This form has expired" in form.text
        assert (await alice.get(f"/api/v1/games/{game['id']}")).json()["status"] == "scheduled"

        cancelled = await alice.delete(f"/api/v1/games/{game['id']}")  # her own token
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


async def test_logging_in_and_out_changes_the_token_at_once(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    async with httpx.AsyncClient(base_url=sandbox_app.base_url) as browser:
        await browser.get("/login", headers=HTML)
        logged_out_token = browser.cookies["csrftoken"]
        authorize = (await browser.get("/api/v1/auth/login")).headers["location"]
        picked = await browser.post(authorize, data={"user_id": str(world.user_id("carol"))})
        callback = await browser.get(picked.headers["location"])
        assert callback.status_code == 302 and browser.cookies.get("gamesched_session")
        session_token = browser.cookies["csrftoken"]  # handed out with the session, no GET needed

        stale = await browser.post("/api/v1/auth/logout", headers={"x-csrftoken": logged_out_token})
        logged_out = await browser.post("/api/v1/auth/logout", headers={"x-csrftoken": session_token})

        assert session_token != logged_out_token
        assert stale.status_code == 403
        assert logged_out.status_code == 204
        assert browser.cookies["csrftoken"] not in (session_token, logged_out_token)


async def test_logged_out_forms_work_with_the_token_of_their_own_cookie(sandbox_app: App) -> None:
    async with (
        httpx.AsyncClient(base_url=sandbox_app.base_url, headers=HTML) as browser,
        httpx.AsyncClient(base_url=sandbox_app.base_url, headers=HTML) as other,
    ):
        await browser.get("/login")
        await other.get("/login")
        own = await browser.post("/logout", data={"_csrf_token": browser.cookies["csrftoken"]})
        foreign = await browser.post("/logout", data={"_csrf_token": other.cookies["csrftoken"]})
    assert own.status_code == 303 and own.headers["location"] == "/login"
    assert foreign.status_code == 403


async def test_a_csrf_token_with_characters_beyond_ascii_is_refused_not_a_failure(sandbox_app: App) -> None:
    """``hmac.compare_digest`` raises a TypeError for a str with non-ASCII characters: these were 500s."""
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        session = {"cookie": f"gamesched_session={alice.cookies['gamesched_session']}"}
        async with httpx.AsyncClient(base_url=sandbox_app.base_url) as raw:  # sends only what it is told
            header = await raw.post(
                "/api/v1/auth/logout", headers={**session, "x-csrftoken": "caf\u00e9".encode()}
            )
            form = await raw.post(
                "/logout", data={"_csrf_token": "\u202e\U0001f3b2"}, headers={**session, **HTML}
            )
        assert header.status_code == 403 and header.json()["error"] == "forbidden", header.text
        assert form.status_code == 403 and "This form has expired" in form.text
        assert (await alice.get("/api/v1/me")).status_code == 200
    async with httpx.AsyncClient(base_url=sandbox_app.base_url) as browser:
        await browser.get("/login", headers=HTML)
        token = "\u00e9" * 32 + browser.cookies["csrftoken"][32:]  # a logged-out token, its nonce swapped
        planted = await browser.post(
            "/logout", data={"_csrf_token": token}, headers={**HTML, "cookie": f"csrftoken={token}".encode()}
        )
        assert planted.status_code == 403, planted.text[:300]
