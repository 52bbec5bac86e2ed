"""JSON shapes of the guild routes. Discord ids are strings in JSON."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from gamesched.core.inputs import Snowflake
from gamesched.guilds.directory import GuildInfo, MemberInfo
from gamesched.guilds.models import Channel, GameTemplate, Guild
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


SignupMethodName = Literal["self_signup", "host_selected", "host_selected_with_waitlist", "role_based"]
TemplateName = Annotated[str, Meta(min_length=1, max_length=100, examples=["One-shot"])]
Duration = Annotated[int, Meta(ge=1, le=1440, description="Expected duration in minutes")]
ArchiveDelay = Annotated[
    int, Meta(ge=0, le=60 * 24 * 365, description="Minutes after the game ends until it is archived")
]


class TemplateBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new template. Locked fields (channel and roles) left out or null are not locked; defaults left out or
    null come from the channel and the server."""

    name: TemplateName
    description: Annotated[str, Meta(max_length=2000)] = ""
    channel_id: Snowflake | None = None
    #: false: ``channel_id`` is only the channel proposed on the create form, not a lock.
    channel_locked: bool = True
    archive_channel_id: Snowflake | None = None
    archive_delay_minutes: ArchiveDelay | None = None
    notify_role_ids: RoleIds | None = None
    player_role_ids: RoleIds | None = None
    host_role_ids: RoleIds | None = None
    priority_role_ids: RoleIds | None = None
    max_players: MaxPlayers | None = None
    duration_minutes: Duration | None = None
    reminder_minutes: ReminderMinutes | None = None
    location: Annotated[str, Meta(max_length=500)] | None = None
    signup_instructions: Instructions | None = None
    signup_methods: Annotated[list[SignupMethodName], Meta(max_length=4)] | None = None
    default_signup_method: SignupMethodName | None = None


class TemplatePatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Fields left out stay as they are; ``null`` unlocks a locked field or clears a default."""

    name: TemplateName | UnsetType = UNSET
    description: Annotated[str, Meta(max_length=2000)] | UnsetType = UNSET
    channel_id: Snowflake | UnsetType | None = UNSET
    channel_locked: bool | UnsetType = UNSET
    archive_channel_id: Snowflake | UnsetType | None = UNSET
    archive_delay_minutes: ArchiveDelay | UnsetType | None = UNSET
    notify_role_ids: RoleIds | UnsetType | None = UNSET
    player_role_ids: RoleIds | UnsetType | None = UNSET
    host_role_ids: RoleIds | UnsetType | None = UNSET
    priority_role_ids: RoleIds | UnsetType | None = UNSET
    max_players: MaxPlayers | UnsetType | None = UNSET
    duration_minutes: Duration | UnsetType | None = UNSET
    reminder_minutes: ReminderMinutes | UnsetType | None = UNSET
    location: Annotated[str, Meta(max_length=500)] | UnsetType | None = UNSET
    signup_instructions: Instructions | UnsetType | None = UNSET
    signup_methods: Annotated[list[SignupMethodName], Meta(max_length=4)] | UnsetType | None = UNSET
    default_signup_method: SignupMethodName | UnsetType | None = UNSET


class TemplateOrder(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Template ids, first to last."""

    template_ids: Annotated[list[Annotated[str, Meta(max_length=36)]], Meta(max_length=200)]


def template_json(
    template: GameTemplate, channel_name: str | None, archive_channel_name: str | None = None
) -> dict[str, Any]:
    return {
        "id": str(template.id),
        "guild_id": str(template.guild_id),
        "name": template.name,
        "description": template.description,
        "order": template.position,
        "is_default": template.is_default,
        "channel_locked": template.channel_locked,
        "locked": {
            "channel_id": None
            if template.channel_id is None or not template.channel_locked
            else str(template.channel_id),
            "channel_name": channel_name if template.channel_locked else None,
            "archive_channel_id": _id(template.archive_channel_id),
            "archive_channel_name": archive_channel_name,
            "archive_delay_minutes": template.archive_delay_minutes,
            "notify_role_ids": _ids(template.notify_role_ids),
            "player_role_ids": _ids(template.player_role_ids),
            "host_role_ids": _ids(template.host_role_ids),
            "priority_role_ids": _ids(template.priority_role_ids),
        },
        "defaults": {
            "max_players": template.max_players,
            "duration_minutes": template.duration_minutes,
            "reminder_minutes": template.reminder_minutes,
            "location": template.location,
            "signup_instructions": template.signup_instructions,
            "signup_methods": template.signup_methods,
            "default_signup_method": template.default_signup_method,
            "proposed_channel_id": None if template.channel_locked else _id(template.channel_id),
            "thumbnail_url": None
            if template.thumbnail_image is None
            else f"/images/{template.thumbnail_image}",
            "banner_url": None if template.banner_image is None else f"/images/{template.banner_image}",
        },
    }


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)
