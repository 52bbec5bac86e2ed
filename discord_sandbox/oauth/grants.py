"""OAuth2 of the sandbox: Discord's authorization-code flow, token exchange and the bearer endpoints.

`GET /discord/api/v10/users/@me` is shared with the bot token, so `rest_app.current_user` serves it and
answers `bearer_me(sandbox, authorization)` for `Bearer` requests.
"""

from __future__ import annotations

import base64
import secrets
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Response

from ..core.sandbox import Sandbox
from ..state import discord_json
from ..state.model import Guild, User
from ..viewer.markup import render_html

CODE_TTL = timedelta(minutes=10)
ACCESS_TOKEN_TTL = timedelta(seconds=604800)
UNAUTHORIZED = {"message": "401: Unauthorized", "code": 0}
SCOPE_TEXTS = {
    "identify": "know your username, avatar and banner",
    "email": "know your email address",
    "guilds": "know what servers you're in",
    "guilds.members.read": "read your member info (nickname, roles) in your servers",
}
TOKEN_PATHS = ["/discord/api/v10/oauth2/token", "/discord/api/oauth2/token"]


def utcnow() -> datetime:
    """The real clock; tests replace `OAuthStore.clock`."""
    return datetime.now(UTC)


@dataclass(kw_only=True)
class AuthCode:
    """A code handed to the app's redirect_uri, redeemable once."""

    user_id: int
    client_id: str
    redirect_uri: str
    scope: str
    expires_at: datetime


@dataclass(kw_only=True)
class Grant:
    """An access token together with the refresh token that can replace it."""

    user_id: int
    client_id: str
    scope: str
    access_token: str
    refresh_token: str
    expires_at: datetime

    @property
    def scopes(self) -> set[str]:
        return set(self.scope.split())


@dataclass(kw_only=True)
class OAuthStore:
    """Authorization codes and tokens of the sandbox, kept in memory."""

    clock: Callable[[], datetime] = utcnow
    codes: dict[str, AuthCode] = field(default_factory=dict)
    by_access: dict[str, Grant] = field(default_factory=dict)
    by_refresh: dict[str, Grant] = field(default_factory=dict)

    def issue_code(self, *, user_id: int, client_id: str, redirect_uri: str, scope: str) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthCode(
            user_id=user_id,
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=scope,
            expires_at=self.clock() + CODE_TTL,
        )
        return code

    def redeem_code(self, *, code: str, client_id: str, redirect_uri: str) -> Grant | str:
        """A new grant, or the error description when the code cannot be used."""
        found = self.codes.get(code)
        if found is None or found.client_id != client_id:
            return 'Invalid "code" in request.'
        if found.expires_at <= self.clock():
            del self.codes[code]
            return 'Invalid "code" in request.'
        if found.redirect_uri != redirect_uri:
            return 'Invalid "redirect_uri" in request.'
        del self.codes[code]
        return self._grant(user_id=found.user_id, client_id=client_id, scope=found.scope)

    def refresh(self, *, refresh_token: str, client_id: str) -> Grant | str:
        """Replace a grant: the old access and refresh tokens stop working."""
        old = self.by_refresh.get(refresh_token)
        if old is None or old.client_id != client_id:
            return 'Invalid "refresh_token" in request.'
        self.revoke(old)
        return self._grant(user_id=old.user_id, client_id=client_id, scope=old.scope)

    def revoke(self, grant: Grant) -> None:
        self.by_access.pop(grant.access_token, None)
        self.by_refresh.pop(grant.refresh_token, None)

    def grant_for(self, access_token: str) -> Grant | None:
        grant = self.by_access.get(access_token)
        if grant is not None and grant.expires_at <= self.clock():
            self.revoke(grant)
            return None
        return grant

    def _grant(self, *, user_id: int, client_id: str, scope: str) -> Grant:
        grant = Grant(
            user_id=user_id,
            client_id=client_id,
            scope=scope,
            access_token=secrets.token_urlsafe(30),
            refresh_token=secrets.token_urlsafe(30),
            expires_at=self.clock() + ACCESS_TOKEN_TTL,
        )
        self.by_access[grant.access_token] = grant
        self.by_refresh[grant.refresh_token] = grant
        return grant


_stores: weakref.WeakKeyDictionary[Sandbox, OAuthStore] = weakref.WeakKeyDictionary()


def oauth_store(sandbox: Sandbox) -> OAuthStore:
    """The sandbox's OAuth store, created on first use."""
    store = _stores.get(sandbox)
    if store is None:
        store = _stores[sandbox] = OAuthStore()
    return store


# ---------------------------------------------------------------- authorize page


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
    return render_html("sandbox/oauth_error.html", {"message": message}, status_code=400)


@get("/discord/oauth2/authorize", sync_to_thread=False)
def authorize_page(request: Request[Any, Any, State], sandbox: NamedDependency[Sandbox]) -> Response[str]:
    """Discord's consent screen, as a picker of who logs in."""
    params = dict(request.query_params)
    error = _validate_authorize(sandbox, params)
    if error:
        return _error_page(error)
    return render_html(
        "sandbox/authorize.html",
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


# ---------------------------------------------------------------- token endpoint


def _client_credentials(request: Request[Any, Any, State], form: dict[str, str]) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except ValueError:
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


def _token_json(grant: Grant) -> dict[str, Any]:
    return {
        "access_token": grant.access_token,
        "token_type": "Bearer",
        "expires_in": int(ACCESS_TOKEN_TTL.total_seconds()),
        "refresh_token": grant.refresh_token,
        "scope": grant.scope,
    }


@post(TOKEN_PATHS)
async def token(
    request: Request[Any, Any, State], sandbox: NamedDependency[Sandbox]
) -> Response[dict[str, Any]]:
    """Exchange a code or a refresh token for an access token."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    client_id, secret = _client_credentials(request, form)
    if client_id != str(sandbox.client_id) or secret != str(sandbox.client_secret):
        return Response({"error": "invalid_client"}, status_code=401)
    store = oauth_store(sandbox)
    grant_type = form.get("grant_type")
    result: Grant | str
    if grant_type == "authorization_code":
        result = store.redeem_code(
            code=form.get("code", ""), client_id=client_id, redirect_uri=form.get("redirect_uri", "")
        )
    elif grant_type == "refresh_token":
        result = store.refresh(refresh_token=form.get("refresh_token", ""), client_id=client_id)
    else:
        return Response({"error": "unsupported_grant_type"}, status_code=400)
    if isinstance(result, str):
        return Response({"error": "invalid_grant", "error_description": result}, status_code=400)
    return Response(_token_json(result), status_code=200)


# ---------------------------------------------------------------- bearer endpoints


def oauth_grant_for_header(sandbox: Sandbox, authorization: str | None) -> Grant | None:
    """The live grant behind an `Authorization: Bearer ...` header, if any."""
    scheme, _, credential = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    grant = oauth_store(sandbox).grant_for(credential.strip())
    if grant is None or grant.user_id not in sandbox.state.users:
        return None
    return grant


def oauth_user_for_token(sandbox: Sandbox, authorization: str | None) -> User | None:
    """The user an `Authorization: Bearer ...` header logs in as, or None."""
    grant = oauth_grant_for_header(sandbox, authorization)
    return sandbox.state.users[grant.user_id] if grant is not None else None


def bearer_me(sandbox: Sandbox, authorization: str | None) -> tuple[int, dict[str, Any]]:
    """(status, body) of `GET users/@me` for a bearer token; needs scope `identify`."""
    grant = oauth_grant_for_header(sandbox, authorization)
    if grant is None or "identify" not in grant.scopes:
        return 401, UNAUTHORIZED
    user = sandbox.state.users[grant.user_id]
    body = dict(discord_json.user_json(user))
    body.setdefault("discriminator", "0")
    body.setdefault("public_flags", 0)
    body.setdefault("flags", 0)
    body |= {"mfa_enabled": False, "locale": "en-US", "premium_type": 0}
    if "email" in grant.scopes:
        body |= {"email": f"{user.username}@sandbox.invalid", "verified": True}
    return 200, body


def _partial_guild(sandbox: Sandbox, guild: Guild, user_id: int) -> dict[str, Any]:
    permissions = sandbox.state.permissions_for(guild.id, user_id)
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "banner": None,
        "owner": guild.owner_id == user_id,
        "permissions": str(permissions),
        "features": [],
    }


@get("/discord/api/v10/users/@me/guilds", sync_to_thread=False)
def my_guilds(request: Request[Any, Any, State], sandbox: NamedDependency[Sandbox]) -> Response[Any]:
    """The guilds of the token's user, as Discord's partial guild objects."""
    grant = oauth_grant_for_header(sandbox, request.headers.get("authorization"))
    if grant is None or "guilds" not in grant.scopes:
        return Response(UNAUTHORIZED, status_code=401)
    guilds = [g for g in sandbox.state.guilds.values() if grant.user_id in g.members]
    return Response([_partial_guild(sandbox, g, grant.user_id) for g in guilds])


@get("/discord/api/v10/users/@me/guilds/{guild_id:int}/member", sync_to_thread=False)
def my_guild_member(
    request: Request[Any, Any, State], sandbox: NamedDependency[Sandbox], guild_id: FromPath[int]
) -> Response[Any]:
    """The token's user as a member of one guild; needs scope `guilds.members.read`."""
    grant = oauth_grant_for_header(sandbox, request.headers.get("authorization"))
    if grant is None or "guilds.members.read" not in grant.scopes:
        return Response(UNAUTHORIZED, status_code=401)
    guild = sandbox.state.guilds.get(guild_id)
    if guild is None or grant.user_id not in guild.members:
        return Response({"message": "Unknown Guild", "code": 10004}, status_code=404)
    return Response(discord_json.member_json(sandbox.state, guild.members[grant.user_id]))


oauth_handlers = [authorize_page, authorize_submit, token, my_guilds, my_guild_member]
