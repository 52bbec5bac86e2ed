"""Access control walked from the app's route table, so that a new route is covered without anyone adding it:

* every unsafe request (POST, PUT, PATCH, DELETE) without the CSRF token, or with another session's, is a
  403 and changes nothing;
* every write by a member who is neither the game's host nor a bot manager is a 403 and changes nothing
  (only the routes in ``MEMBER_WRITES`` are open to every member, each with its reason);
* every route that is not public (``PUBLIC``, each with its reason) asks a tampered or an expired session
  to log in: a 401 from the API, the login page for the dashboard — even when the request carries the CSRF
  token that session would have.

The walk sends alice's own ids and a body that would be accepted from alice, so a refusal is the check's
doing, not a bad request's. The other server's ids are tests/web/test_cross_guild_routes.py's walk.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from gamesched.app import App
from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from gamesched.security import SessionCSRF
from tests.conftest import serving, wait_for_discord
from tests.login import CSRF_COOKIE, SESSION_COOKIE, login_as
from tests.web.conftest import Login
from tests.web.test_cross_guild_routes import (
    GENERATED,
    PATH_PARAMETER,
    SAFE,
    WALK_PNG,
    Server,
    _form,
    _is_upload,
    _json_body,
    _own,
    _own_game,
    _own_series,
    _own_template,
    _queue_idle,
    _rows_naming,
    _sent,
)
from tests.world import World, fetch_world

#: Paths that are not the app's (the local Discord), or that serve files and the schema to anyone.
OUTSIDE = ("/sandbox", "/static/", "/schema")
#: Routes anyone may call without a session, and why.
PUBLIC = {
    "/health": "process health for load balancers",
    "/metrics": "process counters for Prometheus",
    "/login": "the login page",
    "/api/v1/auth/login": "starts the Discord login",
    "/api/v1/auth/callback": "finishes the Discord login",
    "/api/v1/auth/logout": "ending a session that has already ended is no error",
    "/logout": "ending a session that has already ended is no error",
    "/images/{name:str}": "an image by the hash of its content, public like Discord's attachments",
    "/calendar/{game_id:str}/{token:str}": "a calendar link signed for one game, for calendar apps",
    "/calendar/{game_id:str}/{token:str}/google": "the same signed link, opening Google Calendar",
    # The secret in the link is the credential (calendar apps cannot log in); tests/games/test_calendar_feed.py
    # checks that a made-up, reset or turned-off link is a 404.
    "/feeds/{token:str}/games.ics": "a person's calendar feed by its secret link, for calendar apps",
}
#: Writes any member of the server may make, and why.
MEMBER_WRITES = {
    "/api/v1/games/{game_id:str}/join": "a member signs up herself",
    "/api/v1/games/{game_id:str}/leave": "a member leaves herself",
    "/api/v1/games/{game_id:str}/confirm": "a member confirms her own place carried over to a clone",
    "/games/{game_id:str}/join": "a member signs up herself",
    "/games/{game_id:str}/leave": "a member leaves herself",
    "/games/{game_id:str}/confirm": "a member confirms her own place carried over to a clone",
    "/api/v1/auth/logout": "everyone may log out",
    "/logout": "everyone may log out",
    "/settings": "everyone chooses their own time zone",
    "/settings/calendar-feed": "everyone makes or resets their own calendar feed link",
    "/settings/calendar-feed/off": "everyone turns off their own calendar feed link",
    "/api/v1/series/preview": "what a repeat rule gives: it reads and saves nothing",
}
#: Outside the CSRF check: the process's own endpoints for machines.
CSRF_EXEMPT = ("/health", "/metrics")


def _routes(app: Litestar) -> Iterator[tuple[str, str, type | None]]:
    """(path, method, body type) of every route of the app, in table order."""
    for route in app.routes:
        if route.path.startswith(OUTSIDE):
            continue
        assert isinstance(route, HTTPRoute), route.path
        for handler in route.route_handlers:
            if handler.handler_name in GENERATED:
                continue
            data = handler.parsed_fn_signature.parameters.get("data")
            for method in sorted(handler.http_methods):
                yield route.path, method, _sent(data.annotation) if data else None


async def _send(
    base_url: str,
    method: str,
    path: str,
    own: Server,
    data_type: type | None,
    *,
    cookies: dict[str, str],
    token: str | None,
) -> tuple[int, str, str]:
    """One request with alice's ids and an acceptable body, as a browser with ``cookies`` would send it;
    ``token`` is the CSRF token it sends (``None``: none). (status, location, body)."""
    url = PATH_PARAMETER.sub(lambda m: own.path_ids()[m[1]], path)
    api = url.startswith("/api/")
    headers = {"accept": "application/json" if api else "text/html"}
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if cookie:
        headers["cookie"] = cookie
    kwargs: dict[str, Any] = {"params": own.query()}
    if method not in SAFE:
        fields = own.body()
        if not api:
            kwargs["data"] = _form(fields) | ({"_csrf_token": token} if token else {})
        else:
            if token:
                headers["x-csrftoken"] = token
            if _is_upload(data_type):
                kwargs["files"] = {"file": ("walk.png", WALK_PNG, "image/png")}
            elif data_type is not None:
                kwargs["json"] = _json_body(data_type, fields)
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
        client.stream(method, url, headers=headers, **kwargs) as response,
    ):
        location = response.headers.get("location", "")
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return response.status_code, location, ""
        return response.status_code, location, (await response.aread()).decode(errors="replace")


async def _alices(app: App, alice: httpx.AsyncClient, world: World) -> Server:
    own = _own(world, await _own_game(alice, world), app.settings.secret_key or "")
    return replace(own, template_id=await _own_template(alice, world), **await _own_series(alice, world))


def _changes(before: dict[str, frozenset[str]], after: dict[str, frozenset[str]]) -> list[str]:
    problems = []
    for table in sorted(set(before) | set(after)):
        for row in sorted(set(after.get(table, ())) ^ set(before.get(table, ()))):
            problems.append(f"{table}: changed: {row}")
    return problems


async def test_every_unsafe_route_refuses_a_missing_or_foreign_csrf_token(
    web_app: App, world: World, login: Login, database_url: str
) -> None:
    alice, bob = await login("alice"), await login("bob")
    own = await _alices(web_app, alice, world)
    await _queue_idle(database_url)
    ids = [own.guild_id, own.game_id, own.template_id, own.series_id]
    before = dict(await _rows_naming(database_url, ids))
    cookies = {SESSION_COOKIE: alice.cookies[SESSION_COOKIE], CSRF_COOKIE: alice.cookies[CSRF_COOKIE]}

    problems, walked = [], 0
    for path, method, data_type in _routes(web_app.http):
        if method in SAFE or path in CSRF_EXEMPT:
            continue
        for label, token in (("no token", None), ("bob's token", bob.cookies[CSRF_COOKIE])):
            status, _, body = await _send(
                web_app.base_url, method, path, own, data_type, cookies=cookies, token=token
            )
            walked += 1
            api = path.startswith("/api/")
            said = '"error":"forbidden"' in body.replace(" ", "") if api else "This form has expired" in body
            if status != 403 or not said:
                problems.append(f"{method} {path} ({label}) → {status}: {body[:200]}")

    problems += _changes(before, dict(await _rows_naming(database_url, ids)))
    assert (await alice.get("/api/v1/me")).status_code == 200  # the logout routes did not log her out
    assert not problems, f"{len(problems)} problems in {walked} requests:\n" + "\n".join(problems)
    assert walked >= 2 * 40


async def test_every_write_of_a_member_who_is_not_host_nor_manager_is_a_403(
    web_app: App, world: World, login: Login, database_url: str
) -> None:
    alice, bob = await login("alice"), await login("bob")  # bob: a member, on the roster of alice's game
    own = await _alices(web_app, alice, world)
    await _queue_idle(database_url)
    ids = [own.guild_id, own.game_id, own.template_id, own.series_id]
    before = dict(await _rows_naming(database_url, ids))
    cookies = {SESSION_COOKIE: bob.cookies[SESSION_COOKIE], CSRF_COOKIE: bob.cookies[CSRF_COOKIE]}

    problems, walked = [], 0
    for path, method, data_type in _routes(web_app.http):
        if method in SAFE or path in MEMBER_WRITES or path in CSRF_EXEMPT:
            continue
        status, _, body = await _send(
            web_app.base_url, method, path, own, data_type, cookies=cookies, token=bob.cookies[CSRF_COOKIE]
        )
        walked += 1
        if status != 403:
            problems.append(f"{method} {path} → {status}: {body[:200]}")

    problems += _changes(before, dict(await _rows_naming(database_url, ids)))
    assert not problems, f"{len(problems)} problems in {walked} requests:\n" + "\n".join(problems)
    assert walked >= 30


@pytest.fixture
def clock() -> FakeClock:
    """Today, so that the walk's games (a few days ahead of the real time) are in the future."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def clock_app(app_settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    async with serving(app_settings.with_overrides(sandbox=True), clock=clock) as app:
        await wait_for_discord(app)
        yield app


async def test_every_private_route_asks_a_tampered_or_expired_session_to_log_in(
    clock_app: App, clock: FakeClock
) -> None:
    world = await fetch_world(clock_app.base_url)
    secret = clock_app.settings.secret_key or ""
    csrf = SessionCSRF(None, secret=secret, session_cookie=SESSION_COOKIE)  # type: ignore[arg-type]
    async with await login_as(clock_app.base_url, "alice") as alice:
        own = await _alices(clock_app, alice, world)
        session = alice.cookies[SESSION_COOKIE]
    tampered = session[:-1] + ("A" if session[-1] != "A" else "B")

    problems, walked = [], 0
    for label, session_id in (("tampered", tampered), ("expired", session)):
        if label == "expired":
            clock.advance(hours=24, seconds=1)  # a day without a request ends a session
        token = csrf.token_for(session_id)  # the token that session would have: the check is past CSRF
        cookies = {SESSION_COOKIE: session_id, CSRF_COOKIE: token}
        for path, method, data_type in _routes(clock_app.http):
            if path in PUBLIC:
                continue
            status, location, body = await _send(
                clock_app.base_url, method, path, own, data_type, cookies=cookies, token=token
            )
            walked += 1
            where = f"{method} {path} ({label}) → {status}"
            if path.startswith("/api/"):
                if status != 401 or '"error":"unauthorized"' not in body.replace(" ", ""):
                    problems.append(f"{where}: {body[:200]}")
            elif not (status in (302, 303) and location.startswith("/login")):
                problems.append(f"{where} {location}: {body[:200]}")
    assert not problems, f"{len(problems)} problems in {walked} requests:\n" + "\n".join(problems)
    assert walked >= 2 * 60


def test_every_public_or_member_route_still_exists(web_app: App) -> None:
    paths = {route.path for route in web_app.http.routes}
    assert set(PUBLIC) <= paths, set(PUBLIC) - paths
    assert set(MEMBER_WRITES) <= paths, set(MEMBER_WRITES) - paths


#: Malformed ids for every path parameter: a sign, 64-bit overflow, very long, a bidi control (NUL bytes, words
#: and more are tests/games/test_hostile_input.py's and the schemathesis run's; four keep this walk quick).
MALFORMED_IDS = ("-1", str(2**63), "x" * 300, "%E2%80%AE1")
#: Forms that take the host back to the game's page for an id that is not there, and why.
BACK_TO_THE_GAME = {
    "/games/{game_id:str}/participants/{participant_id:str}/remove": "removing someone no longer on the "
    "roster (a second click, another tab) is no error: the page shows the roster as it is",
}


@pytest.mark.long
async def test_every_route_answers_malformed_ids_with_a_refusal_never_a_failure(
    web_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    own = await _alices(web_app, alice, world)
    cookies = {SESSION_COOKIE: alice.cookies[SESSION_COOKIE], CSRF_COOKIE: alice.cookies[CSRF_COOKIE]}
    problems, walked = [], 0
    for path, method, data_type in _routes(web_app.http):
        for name in dict.fromkeys(PATH_PARAMETER.findall(path)):
            if path in PUBLIC and name == "name":
                continue  # an image's hash: any text is a name that is not there (tests/images)
            for bad in MALFORMED_IDS:
                status, location, body = await _send(
                    web_app.base_url,
                    method,
                    path,
                    replace(own, **{_field(name): bad}),
                    data_type,
                    cookies=cookies,
                    token=alice.cookies[CSRF_COOKIE],
                )
                walked += 1
                where = f"{method} {path} with {name}={bad[:20]!r} → {status}"
                if (
                    path in BACK_TO_THE_GAME
                    and status == 303
                    and location.startswith(f"/games/{own.game_id}")
                ):
                    continue
                if status not in (400, 404, 422):
                    problems.append(f"{where}: {body[:200]}")
                elif path.startswith("/api/") and '"message":' not in body:
                    problems.append(f"{where}: no sentence: {body[:200]}")
    assert not problems, f"{len(problems)} problems in {walked} requests:\n" + "\n".join(problems)
    assert walked >= 200


def _field(parameter: str) -> str:
    """The Server field a path parameter is filled from."""
    return {"token": "calendar_token"}.get(parameter, parameter)
