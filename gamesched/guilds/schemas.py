"""JSON shapes of the guild routes. Discord ids are strings in JSON."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from gamesched.core.inputs import Snowflake
from gamesched.guilds.directory import GuildInfo, MemberInfo
from gamesched.guilds.models import Channel, Guild
from gamesched.guilds.permissions import GuildAccess
from gamesched.guilds.settings import EffectiveSettings

MaxPlayers = Annotated[int, Meta(ge=1, le=100, description="Seats per game")]
ReminderMinutes = Annotated[
    list[Annotated[int, Meta(ge=1, le=10080)]],
    Meta(max_length=10, description="Minutes before the start to remind players", examples=[[60, 15]]),
]
Instructions = Annotated[str, Meta(max_length=1000, description="Signup instructions / rules")]
RoleIds = Annotated[list[Snowflake], Meta(max_length=50)]


class GuildSettingsPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Fields left out stay as they are; ``null`` clears a value back to the built-in default."""

    max_players: MaxPlayers | UnsetType | None = UNSET
    reminder_minutes: ReminderMinutes | UnsetType | None = UNSET
    signup_instructions: Instructions | UnsetType | None = UNSET
    manager_role_ids: RoleIds | UnsetType | None = UNSET
    host_role_ids: RoleIds | UnsetType | None = UNSET
    player_role_ids: RoleIds | UnsetType | None = UNSET


class ChannelSettingsPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Fields left out stay as they are; ``null`` removes the override (the server's value applies)."""

    is_active: bool | UnsetType | None = UNSET
    category: Annotated[str, Meta(max_length=100)] | UnsetType | None = UNSET
    max_players: MaxPlayers | UnsetType | None = UNSET
    reminder_minutes: ReminderMinutes | UnsetType | None = UNSET
    signup_instructions: Instructions | UnsetType | None = UNSET
    host_role_ids: RoleIds | UnsetType | None = UNSET
    player_role_ids: RoleIds | UnsetType | None = UNSET


def changes_of(patch: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body actually set (ids converted to ints)."""
    changes: dict[str, Any] = {}
    for name in patch.__struct_fields__:
        value = getattr(patch, name)
        if value is UNSET:
            continue
        if name.endswith("_role_ids") and value is not None:
            value = [int(v) for v in value]
        changes[name] = value
    return changes


def _ids(values: Any) -> list[str] | None:
    return None if values is None else [str(v) for v in values]


def effective_json(settings: EffectiveSettings) -> dict[str, Any]:
    """Each inherited value with the level it came from: game, channel, guild or default."""
    result: dict[str, Any] = {}
    for name, value in settings.values().items():
        shown = (
            _ids(value)
            if name.endswith("_role_ids")
            else (list(value) if isinstance(value, tuple) else value)
        )
        result[name] = {"value": shown, "source": settings.sources()[name]}
    return result


def guild_json(
    info: GuildInfo, record: Guild, access: GuildAccess, settings: EffectiveSettings
) -> dict[str, Any]:
    return {
        "id": str(info.id),
        "name": info.name,
        "icon_url": info.icon_url,
        "is_manager": access.is_manager,
        "can_host": access.can_host,
        "settings": {
            "max_players": record.max_players,
            "reminder_minutes": record.reminder_minutes,
            "signup_instructions": record.signup_instructions,
            "manager_role_ids": _ids(record.manager_role_ids),
            "host_role_ids": _ids(record.host_role_ids),
            "player_role_ids": _ids(record.player_role_ids),
        },
        "effective": effective_json(settings),
        "roles": [
            {"id": str(r.id), "name": r.name}
            for r in sorted(info.roles.values(), key=lambda r: -r.position)
            if r.id != info.id and not r.managed  # the roles a setting may name (GuildService.check_roles)
        ],
    }


def channel_json(
    channel: Channel, settings: EffectiveSettings | None, parent_name: str | None
) -> dict[str, Any]:
    return {
        "id": str(channel.id),
        "name": channel.name,
        "type": channel.type,
        "parent_name": parent_name,
        "is_active": channel.is_active,
        "category": channel.category,
        "overrides": {
            "max_players": channel.max_players,
            "reminder_minutes": channel.reminder_minutes,
            "signup_instructions": channel.signup_instructions,
            "host_role_ids": _ids(channel.host_role_ids),
            "player_role_ids": _ids(channel.player_role_ids),
        },
        "effective": effective_json(settings) if settings else None,
    }


def member_json(member: MemberInfo) -> dict[str, Any]:
    return {
        "discord_id": str(member.user_id),
        "username": member.username,
        "display_name": member.display_name,
        "avatar_url": member.avatar_url,
    }
