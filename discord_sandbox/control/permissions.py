"""Control API (`/sandbox/api`): channel permission overwrites, as a server admin sets them, and what a member
may do in a channel once they are applied."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath

from ..core.sandbox import Sandbox
from ..state.control_json import channel_shape
from ..state.errors import ControlError
from ..state.model import ALL_PERMISSIONS, OVERWRITE_MEMBER, OVERWRITE_ROLE, Channel, Overwrite
from ..state.permissions import permission_names
from .requests import json_body


def _guild_channel(sandbox: Sandbox, channel_id: int) -> Channel:
    channel = sandbox.state.channel(channel_id)
    if channel is None or channel.guild_id is None:
        raise ControlError(404, "unknown_channel")
    return channel


def _bits(body: dict[str, Any], name: str) -> int:
    raw = body.get(name, "0")
    try:
        bits = int(str(raw))
    except ValueError:
        raise ControlError(400, "invalid_permissions", field=name) from None
    if not 0 <= bits <= ALL_PERMISSIONS:
        raise ControlError(400, "invalid_permissions", field=name)
    return bits


@put("/channels/{channel_id:int}/permissions/{target_id:int}")
async def put_overwrite(
    channel_id: FromPath[int],
    target_id: FromPath[int],
    request: Request[Any, Any, Any],
    sandbox: NamedDependency[Sandbox],
) -> dict[str, Any]:
    """Set the overwrite of a role (`"type": 0`) or member (`1`): `allow`/`deny` bit sets as strings."""
    channel = _guild_channel(sandbox, channel_id)
    guild = sandbox.state.guilds[channel.guild_id or 0]
    body = await json_body(request)
    kind = body.get("type")
    if kind not in (OVERWRITE_ROLE, OVERWRITE_MEMBER):
        raise ControlError(400, "invalid_overwrite_type", message="type is 0 (role) or 1 (member)")
    if kind == OVERWRITE_ROLE and target_id not in guild.roles:
        raise ControlError(404, "unknown_role")
    if kind == OVERWRITE_MEMBER and target_id not in guild.members:
        raise ControlError(404, "unknown_member")
    overwrite = Overwrite(id=target_id, type=kind, allow=_bits(body, "allow"), deny=_bits(body, "deny"))
    sandbox.set_overwrite(channel, overwrite)
    return channel_shape(channel)


@delete("/channels/{channel_id:int}/permissions/{target_id:int}", sync_to_thread=False)
def delete_overwrite(
    channel_id: FromPath[int], target_id: FromPath[int], sandbox: NamedDependency[Sandbox]
) -> None:
    """Remove the overwrite of a role or member (the channel inherits the guild's permissions again)."""
    if not sandbox.remove_overwrite(_guild_channel(sandbox, channel_id), target_id):
        raise ControlError(404, "unknown_overwrite")


@get("/channels/{channel_id:int}/permissions/{target_id:int}", sync_to_thread=False)
def member_permissions(
    channel_id: FromPath[int], target_id: FromPath[int], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """What a member (or the bot) may do in the channel: the bit set and its names."""
    channel = _guild_channel(sandbox, channel_id)
    user_id = target_id
    if user_id not in sandbox.state.guilds[channel.guild_id or 0].members:
        raise ControlError(404, "unknown_member")
    bits = sandbox.state.channel_permissions(channel_id, user_id)
    return {"permissions": str(bits), "names": permission_names(bits)}


PERMISSION_HANDLERS = [put_overwrite, delete_overwrite, member_permissions]
