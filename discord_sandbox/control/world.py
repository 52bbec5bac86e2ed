"""Control API (`/sandbox/api`): read the world and change it as users and admins would."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath

from ..core.sandbox import Sandbox
from ..gateway.sessions import valid_shard
from ..state.control_json import channel_shape, guild_shape, member_shape, role_shape, user_shape, world_json
from ..state.errors import ControlError
from ..state.model import CHANNEL_CATEGORY, CHANNEL_TEXT
from .requests import channel_or_404, guild_or_404, int_ids, json_body

CREATABLE_CHANNEL_TYPES = {CHANNEL_TEXT, 2, CHANNEL_CATEGORY, 5, 15}


@get("/world", sync_to_thread=False)
def world(sandbox: NamedDependency[Sandbox]) -> dict[str, Any]:
    """Everything: application, bot, users, guilds with channels, roles and members."""
    return world_json(sandbox.state)


@post("/guilds")
async def create_guild(request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]) -> dict[str, Any]:
    """Create a guild owned by a user (with #general); `"bot": true` adds the bot (GUILD_CREATE follows);
    `"shard": [shard_id, num_shards]` gives it an id on that shard (`(id >> 22) % num_shards`)."""
    body = await json_body(request)
    shard = body.get("shard")
    if shard is not None and not valid_shard(shard):
        raise ControlError(
            400, "invalid_shard", message="shard must be [shard_id, num_shards], 0 <= shard_id < num_shards"
        )
    name = str(body.get("name") or "").strip()
    owner_id = int_ids([body.get("owner_id")], "owner_id")[0]
    if not name:
        raise ControlError(400, "missing_name")
    if owner_id not in sandbox.state.users:
        raise ControlError(404, "unknown_user")
    guild = sandbox.create_guild(
        name,
        owner_id=owner_id,
        with_bot=bool(body.get("bot", False)),
        on_shard=(shard[0], shard[1]) if shard is not None else None,
    )
    return guild_shape(sandbox.state, guild)


@patch("/guilds/{guild_id:int}")
async def update_guild(
    guild_id: FromPath[int], request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """``{"name": ...}``: rename a guild; the bot sees GUILD_UPDATE."""
    guild = guild_or_404(sandbox, guild_id)
    body = await json_body(request)
    name = str(body.get("name") or "").strip()
    if not 2 <= len(name) <= 100:
        raise ControlError(400, "invalid_name")
    guild.name = name
    sandbox.update_guild(guild)
    return guild_shape(sandbox.state, guild)


@post("/users")
async def create_user(request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]) -> dict[str, Any]:
    """Create an account; join it to guilds with PUT members."""
    body = await json_body(request)
    username = str(body.get("username") or "").strip()
    if not username:
        raise ControlError(400, "missing_username")
    if sandbox.state.find_user(username) is not None:
        raise ControlError(409, "username_taken")
    user = sandbox.create_user(
        username, global_name=body.get("global_name"), dms_open=bool(body.get("dms_open", True))
    )
    return user_shape(user)


@patch("/users/{user_id:int}")
async def update_user(
    user_id: FromPath[int], request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """Change a user's global name or whether their DMs are open."""
    user = sandbox.state.users.get(user_id)
    if user is None:
        raise ControlError(404, "unknown_user")
    body = await json_body(request)
    if "global_name" in body:
        user.global_name = body["global_name"]
    if "dms_open" in body:
        user.dms_open = bool(body["dms_open"])
    sandbox.touch()
    return user_shape(user)


@put("/guilds/{guild_id:int}/members/{user_id:int}")
async def put_member(
    guild_id: FromPath[int],
    user_id: FromPath[int],
    request: Request[Any, Any, Any],
    sandbox: NamedDependency[Sandbox],
) -> dict[str, Any]:
    """Join a guild or update the membership; the bot sees GUILD_MEMBER_ADD or _UPDATE."""
    guild = guild_or_404(sandbox, guild_id)
    if user_id not in sandbox.state.users:
        raise ControlError(404, "unknown_user")
    body = await json_body(request)
    roles = int_ids(body["roles"], "roles") if body.get("roles") is not None else None
    unknown = [str(r) for r in roles or [] if r not in guild.roles or r == guild.id]
    if unknown:
        raise ControlError(400, "unknown_role", roles=unknown)
    member, joined = sandbox.upsert_member(
        guild_id, user_id, nick=body.get("nick"), roles=roles, nick_given="nick" in body
    )
    return {**member_shape(sandbox.state, guild, member), "joined": joined}


@delete("/guilds/{guild_id:int}/members/{user_id:int}", sync_to_thread=False)
def remove_member(guild_id: FromPath[int], user_id: FromPath[int], sandbox: NamedDependency[Sandbox]) -> None:
    """The member leaves; the bot sees GUILD_MEMBER_REMOVE."""
    guild = guild_or_404(sandbox, guild_id)
    if user_id not in guild.members:
        raise ControlError(404, "unknown_member")
    sandbox.remove_member(guild_id, user_id)


@post("/guilds/{guild_id:int}/channels")
async def create_channel(
    guild_id: FromPath[int], request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """Create a channel; the bot sees CHANNEL_CREATE."""
    guild_or_404(sandbox, guild_id)
    body = await json_body(request)
    name = str(body.get("name") or "").strip()
    kind = int(body.get("type") or CHANNEL_TEXT)
    if not name or kind not in CREATABLE_CHANNEL_TYPES:
        raise ControlError(400, "invalid_channel")
    parent = int(body["parent_id"]) if body.get("parent_id") else None
    channel = sandbox.create_channel(guild_id, name, type=kind, parent_id=parent)
    return channel_shape(channel)


@patch("/guilds/{guild_id:int}/channels/{channel_id:int}")
async def update_channel(
    guild_id: FromPath[int],
    channel_id: FromPath[int],
    request: Request[Any, Any, Any],
    sandbox: NamedDependency[Sandbox],
) -> dict[str, Any]:
    """Rename, re-topic or move a channel; the bot sees CHANNEL_UPDATE."""
    channel = channel_or_404(sandbox, guild_id, channel_id)
    body = await json_body(request)
    channel.name = str(body.get("name") or channel.name)
    channel.topic = body.get("topic", channel.topic)
    channel.position = int(body.get("position", channel.position))
    sandbox.update_channel(channel)
    return channel_shape(channel)


@delete("/guilds/{guild_id:int}/channels/{channel_id:int}", sync_to_thread=False)
def delete_channel(
    guild_id: FromPath[int], channel_id: FromPath[int], sandbox: NamedDependency[Sandbox]
) -> None:
    """Delete a channel; the bot sees CHANNEL_DELETE."""
    channel = channel_or_404(sandbox, guild_id, channel_id)
    sandbox.delete_channel(channel)


@post("/guilds/{guild_id:int}/roles")
async def create_role(
    guild_id: FromPath[int], request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """Create a role; the bot sees GUILD_ROLE_CREATE."""
    guild_or_404(sandbox, guild_id)
    body = await json_body(request)
    name = str(body.get("name") or "").strip()
    if not name:
        raise ControlError(400, "missing_name")
    role = sandbox.create_role(
        guild_id,
        name,
        permissions=int(body.get("permissions") or 0),
        color=int(body.get("color") or 0),
        mentionable=bool(body.get("mentionable", False)),
    )
    return role_shape(role)


@patch("/guilds/{guild_id:int}/roles/{role_id:int}")
async def update_role(
    guild_id: FromPath[int],
    role_id: FromPath[int],
    request: Request[Any, Any, Any],
    sandbox: NamedDependency[Sandbox],
) -> dict[str, Any]:
    """Rename a role, change its permissions or whether anyone may mention it; the bot sees GUILD_ROLE_UPDATE."""
    role = guild_or_404(sandbox, guild_id).roles.get(role_id)
    if role is None:
        raise ControlError(404, "unknown_role")
    body = await json_body(request)
    role.name = str(body.get("name") or role.name)
    role.permissions = int(body.get("permissions", role.permissions))
    role.mentionable = bool(body.get("mentionable", role.mentionable))
    sandbox.update_role(guild_id, role)
    return role_shape(role)


@delete("/guilds/{guild_id:int}/roles/{role_id:int}", sync_to_thread=False)
def delete_role(guild_id: FromPath[int], role_id: FromPath[int], sandbox: NamedDependency[Sandbox]) -> None:
    """Delete a role; the bot sees GUILD_ROLE_DELETE."""
    if role_id not in guild_or_404(sandbox, guild_id).roles or role_id == guild_id:
        raise ControlError(404, "unknown_role")
    sandbox.delete_role(guild_id, role_id)


WORLD_HANDLERS = [
    world,
    create_guild,
    update_guild,
    create_user,
    update_user,
    put_member,
    remove_member,
    create_channel,
    update_channel,
    delete_channel,
    create_role,
    update_role,
    delete_role,
]
