"""Discord's OAuth2 consent screen, as a picker of who logs in: GET and POST /discord/oauth2/authorize."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.response import Redirect, Response

from ..core.sandbox import Sandbox
from ..pages.render import PageRenderer
from ..state.model import User
from .grants import oauth_store

SCOPE_TEXTS = {
    "identify": "know your username, avatar and banner",
    "email": "know your email address",
    "guilds": "know what servers you're in",
    "guilds.members.read": "read your member info (nickname, roles) in your servers",
}

render_html = PageRenderer("discord_sandbox.oauth")


def _app_name(sandbox: Sandbox) -> str:
    return str(sandbox.state.application.name)


def _picker_users(sandbox: Sandbox) -> list[dict[str, Any]]:
    state = sandbox.state
    rows = []
    for user in state.users.values():
        if user.bot:
            continue
        guilds = [g.name for g in state.guilds.values() if user.id in g.members]
        name = user.global_name or user.username
        rows.append({"id": str(user.id), "name": name, "username": user.username, "guilds": guilds})
    return rows


def _validate_authorize(sandbox: Sandbox, params: dict[str, str]) -> str | None:
    if params.get("client_id") != str(sandbox.client_id):
        return f"Unknown client_id {params.get('client_id')!r}."
    if params.get("response_type") != "code":
        return f'Unsupported response_type {params.get("response_type")!r}: only "code" is supported.'
    redirect_uri = params.get("redirect_uri", "")
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        return f"Invalid redirect_uri {redirect_uri!r}."
    return None


def _with_query(url: str, extra: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(extra)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _error_page(message: str) -> Response[str]:
    return render_html("oauth_error.html", {"message": message}, status_code=400)


@get("/discord/oauth2/authorize", sync_to_thread=False)
def authorize_page(request: Request[Any, Any, State], sandbox: NamedDependency[Sandbox]) -> Response[str]:
    """Discord's consent screen, as a picker of who logs in."""
    params = dict(request.query_params)
    error = _validate_authorize(sandbox, params)
    if error:
        return _error_page(error)
    return render_html(
        "authorize.html",
        {
            "app_name": _app_name(sandbox),
            "scopes": params.get("scope", "").split(),
            "scope_texts": SCOPE_TEXTS,
            "users": _picker_users(sandbox),
            "redirect_host": urlsplit(params["redirect_uri"]).netloc,
        },
    )


@post("/discord/oauth2/authorize")
async def authorize_submit(
    request: Request[Any, Any, State], sandbox: NamedDependency[Sandbox]
) -> Response[Any]:
    """Pick a user (or cancel) and go back to the app with a code."""
    form = await request.form()
    params = {k: str(v) for k, v in form.items()} | dict(request.query_params)
    error = _validate_authorize(sandbox, params)
    if error:
        return _error_page(error)
    redirect_uri, state = params["redirect_uri"], params.get("state")
    back = {"state": state} if state is not None else {}
    if form.get("action") == "cancel":
        denied = {"error": "access_denied", "error_description": "The resource owner denied the request."}
        return Redirect(_with_query(redirect_uri, denied | back))
    user = _user(sandbox, str(form.get("user_id", "")))
    if user is None or user.bot:
        return _error_page(f"Unknown user_id {form.get('user_id')!r}.")
    code = oauth_store(sandbox).issue_code(
        user_id=user.id,
        client_id=params["client_id"],
        redirect_uri=redirect_uri,
        scope=" ".join(params.get("scope", "").split()),
    )
    return Redirect(_with_query(redirect_uri, {"code": code} | back))


def _user(sandbox: Sandbox, user_id: str) -> User | None:
    return sandbox.state.users.get(int(user_id)) if user_id.isdigit() else None


CONSENT_HANDLERS = [authorize_page, authorize_submit]
