"""Log in to a running app through the real sandbox OAuth flow, as a browser would.

async with await login_as(app.base_url, "alice") as alice:
    await alice.post("/api/v1/games", json=...)   # x-csrftoken is added to unsafe requests
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
SESSION_COOKIE = "gamesched_session"
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"


class LoggedInClient(httpx.AsyncClient):
    """An AsyncClient usable in ``async with`` although it has already sent the login requests."""

    async def __aenter__(self) -> LoggedInClient:
        return self


async def login_as(
    base_url: str,
    username: str,
    *,
    next_path: str = "/",
    sandbox_url: str | None = None,
    request_timeout: float = 10,
) -> httpx.AsyncClient:
    """A client logged in as ``username`` (a sandbox user), with a CSRF cookie and header in place.

    ``sandbox_url`` names the sandbox when the app talks to one served by another process; ``request_timeout`` is
    each request's (a test logging in many members at once on a busy machine needs more)."""
    client = LoggedInClient(base_url=base_url, timeout=request_timeout, follow_redirects=False)

    async def add_csrf_header(request: httpx.Request) -> None:
        token = client.cookies.get(CSRF_COOKIE)
        if request.method not in SAFE_METHODS and token and CSRF_HEADER not in request.headers:
            request.headers[CSRF_HEADER] = token

    client.event_hooks["request"].append(add_csrf_header)
    try:
        await _log_in(client, username, next_path, sandbox_url or base_url)
    except BaseException:
        await client.aclose()
        raise
    return client


async def _log_in(client: httpx.AsyncClient, username: str, next_path: str, sandbox_url: str) -> None:
    start = await client.get("/api/v1/auth/login", params={"next": next_path})
    assert start.status_code == 302, f"login did not redirect: {start.status_code} {start.text}"
    authorize = start.headers["location"]

    page = await client.get(authorize)
    assert page.status_code == 200, f"authorize page failed: {page.status_code} {page.text[:300]}"

    picked = await client.post(authorize, data={"user_id": await _user_id(sandbox_url, username)})
    assert picked.status_code == 302, f"authorize did not redirect: {picked.status_code} {picked.text[:300]}"
    callback_url = picked.headers["location"]
    assert "code" in parse_qs(urlsplit(callback_url).query), f"no code in {callback_url}"

    done = await client.get(callback_url)
    assert done.status_code == 302, f"callback failed: {done.status_code} {done.text}"
    assert client.cookies.get(SESSION_COOKIE), "the callback did not set the session cookie"

    me = await client.get("/api/v1/me")  # also hands out the csrftoken cookie
    assert me.status_code == 200, f"/api/v1/me after login: {me.status_code} {me.text}"
    assert client.cookies.get(CSRF_COOKIE), "no csrftoken cookie after a GET"


async def _user_id(sandbox_url: str, username: str) -> str:
    async with httpx.AsyncClient(base_url=sandbox_url) as sandbox:
        world = (await sandbox.get("/sandbox/api/world")).json()
    for user in world["users"]:
        if user["username"] == username:
            return str(user["id"])
    raise LookupError(f"no sandbox user named {username!r}")
