"""OAuth2 endpoints under the Discord API: the token exchange and what a bearer token can read.

`GET /discord/api/v10/users/@me` is shared with the bot token, so `rest.application.current_user` serves it and
answers `bearer_me(sandbox, authorization)` for `Bearer` requests.
"""

from __future__ import annotations

import base64
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Response

from ..core.sandbox import Sandbox
from ..state import discord_json
from ..state.form import bad_path_ids
from ..state.model import Guild
from .grants import ACCESS_TOKEN_TTL, Grant, oauth_grant_for_header, oauth_store

UNAUTHORIZED = {"message": "401: Unauthorized", "code": 0}
TOKEN_PATHS = ["/discord/api/v10/oauth2/token", "/discord/api/oauth2/token"]


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


@get("/discord/api/v10/users/@me/guilds/{guild_id:str}/member", sync_to_thread=False)
def my_guild_member(
    request: Request[Any, Any, State], sandbox: NamedDependency[Sandbox], guild_id: FromPath[str]
) -> Response[Any]:
    """The token's user as a member of one guild; needs scope `guilds.members.read`."""
    grant = oauth_grant_for_header(sandbox, request.headers.get("authorization"))
    if grant is None or "guilds.members.read" not in grant.scopes:
        return Response(UNAUTHORIZED, status_code=401)
    problem = bad_path_ids({"guild_id": guild_id})
    if problem is not None:
        return Response(problem.body(), status_code=problem.status)
    guild = sandbox.state.guilds.get(int(guild_id))
    if guild is None or grant.user_id not in guild.members:
        return Response({"message": "Unknown Guild", "code": 10004}, status_code=404)
    return Response(discord_json.member_json(sandbox.state, guild.members[grant.user_id]))


TOKEN_HANDLERS = [token, my_guilds, my_guild_member]
