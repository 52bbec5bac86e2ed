"""Discord REST: guilds, their channels, roles and members."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from ..core.sandbox import Sandbox
from ..state import discord_json
from ..state.errors import UNKNOWN_MEMBER, UNKNOWN_USER, not_found
from .common import bot_guild

MAX_MEMBER_PAGE = 1000


@get("/guilds/{guild_id:str}", sync_to_thread=False)
def guild(
    guild_id: FromPath[int], sandbox: NamedDependency[Sandbox], with_counts: FromQuery[bool] = False
) -> dict[str, Any]:
    """A guild (roles included, like Discord)."""
    return discord_json.guild_json(bot_guild(sandbox, guild_id))


@get("/guilds/{guild_id:str}/channels", sync_to_thread=False)
def guild_channels(guild_id: FromPath[int], sandbox: NamedDependency[Sandbox]) -> list[dict[str, Any]]:
    """A guild's channels."""
    channels = sorted(bot_guild(sandbox, guild_id).channels.values(), key=lambda c: c.position)
    return [discord_json.channel_json(sandbox.state, c) for c in channels]


@get("/guilds/{guild_id:str}/roles", sync_to_thread=False)
def guild_roles(guild_id: FromPath[int], sandbox: NamedDependency[Sandbox]) -> list[dict[str, Any]]:
    """A guild's roles."""
    roles = sorted(bot_guild(sandbox, guild_id).roles.values(), key=lambda r: r.position)
    return [discord_json.role_json(r) for r in roles]


@get("/guilds/{guild_id:str}/members", sync_to_thread=False)
def list_members(
    guild_id: FromPath[int],
    sandbox: NamedDependency[Sandbox],
    limit: FromQuery[int] = 1,
    after: FromQuery[int] = 0,
) -> list[dict[str, Any]]:
    """Members ordered by user id, paged with after/limit (1..1000, default 1 as on Discord)."""
    found = bot_guild(sandbox, guild_id)
    limit = max(1, min(limit, MAX_MEMBER_PAGE))
    members = sorted((m for m in found.members.values() if m.user_id > after), key=lambda m: m.user_id)
    return [discord_json.member_json(sandbox.state, m) for m in members[:limit]]


@get("/guilds/{guild_id:str}/members/search", sync_to_thread=False, opt={"bucket": "member_search"})
def search_members(
    guild_id: FromPath[int],
    request: Request[Any, Any, Any],
    sandbox: NamedDependency[Sandbox],
    limit: FromQuery[int] = 1,
) -> list[dict[str, Any]]:
    """Members whose username, global name or nick starts with `?query=`."""
    found = bot_guild(sandbox, guild_id)
    prefix = str(request.query_params.get("query") or "").lower()
    limit = max(1, min(limit, MAX_MEMBER_PAGE))
    state = sandbox.state
    matches = []
    for member in found.members.values():
        user = state.users[member.user_id]
        names = [user.username, user.global_name or "", member.nick or ""]
        if any(name.lower().startswith(prefix) for name in names if name):
            matches.append(member)
    return [discord_json.member_json(state, m) for m in matches[:limit]]


@get("/guilds/{guild_id:str}/members/{user_id:str}", sync_to_thread=False)
def get_member(
    guild_id: FromPath[int], user_id: FromPath[int], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """One member."""
    found = bot_guild(sandbox, guild_id)
    if user_id not in sandbox.state.users:
        raise not_found(UNKNOWN_USER, "User")
    member = found.members.get(user_id)
    if member is None:
        raise not_found(UNKNOWN_MEMBER, "Member")
    return discord_json.member_json(sandbox.state, member)


@delete("/users/@me/guilds/{guild_id:str}", sync_to_thread=False)
def leave_guild(guild_id: FromPath[int], sandbox: NamedDependency[Sandbox]) -> None:
    """The bot leaves a guild (GUILD_DELETE follows on the gateway)."""
    bot_guild(sandbox, guild_id)
    sandbox.remove_member(guild_id, sandbox.state.application.bot_user_id)


GUILD_HANDLERS = [guild, guild_channels, guild_roles, list_members, search_members, get_member, leave_guild]
