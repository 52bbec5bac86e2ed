"""Discord REST: application commands, global and per guild (bulk overwrite, list, create, edit, delete)."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath

from ..core.sandbox import Sandbox
from ..state.errors import UNKNOWN_APPLICATION_COMMAND, DiscordError, form_error, not_found
from ..state.validation import CHAT_INPUT, validate_command
from .common import bot_guild, read_payload

MAX_COMMANDS = 100


def _commands(sandbox: Sandbox, app_id: int, guild_id: int | None) -> dict[int, dict[str, Any]]:
    if app_id != sandbox.state.application.id:
        raise not_found(10002, "Application")
    if guild_id is None:
        return sandbox.state.global_commands
    bot_guild(sandbox, guild_id)
    return sandbox.state.guild_commands.setdefault(guild_id, {})


def _command(
    sandbox: Sandbox, payload: dict[str, Any], guild_id: int | None, existing: dict[str, Any] | None
) -> dict[str, Any]:
    validate_command(payload)
    command_id = existing["id"] if existing else str(sandbox.state.next_id())
    command = {
        "id": command_id,
        "application_id": str(sandbox.state.application.id),
        "name": payload["name"],
        "description": payload.get("description") or "",
        "type": payload.get("type", CHAT_INPUT),
        "options": payload.get("options") or [],
        "default_member_permissions": _permissions(payload.get("default_member_permissions")),
        "dm_permission": payload.get("dm_permission", True),
        "contexts": payload.get("contexts"),
        "integration_types": payload.get("integration_types") or [0],
        "nsfw": bool(payload.get("nsfw", False)),
        "name_localizations": payload.get("name_localizations"),
        "description_localizations": payload.get("description_localizations"),
        "version": str(sandbox.state.next_id()),
    }
    if guild_id is not None:
        command["guild_id"] = str(guild_id)
    return command


def _permissions(value: Any) -> str | None:
    """A permission bit set as Discord returns it: a string of digits, or null for "everyone"."""
    if value is None:
        return None
    try:
        return str(int(value))
    except (TypeError, ValueError):
        raise form_error(
            "default_member_permissions", "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.'
        ) from None


def _overwrite(
    sandbox: Sandbox, app_id: int, guild_id: int | None, payload: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    commands = _commands(sandbox, app_id, guild_id)
    if len(payload) > MAX_COMMANDS:
        raise DiscordError(400, 30032, "Maximum number of application commands reached (100)")
    names = [(p.get("name"), p.get("type", CHAT_INPUT)) for p in payload]
    if len(set(names)) != len(names):
        raise form_error(
            "_", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"
        )
    by_name = {(c["name"], c["type"]): c for c in commands.values()}
    fresh = [
        _command(sandbox, p, guild_id, by_name.get((p.get("name"), p.get("type", CHAT_INPUT))))
        for p in payload
    ]
    commands.clear()
    commands.update({int(c["id"]): c for c in fresh})
    sandbox.touch()
    return fresh


@get(
    ["/applications/{app_id:str}/commands", "/applications/{app_id:str}/guilds/{guild_id:str}/commands"],
    sync_to_thread=False,
)
def list_commands(
    app_id: FromPath[int], sandbox: NamedDependency[Sandbox], guild_id: FromPath[int | None] = None
) -> list[dict[str, Any]]:
    """Registered commands."""
    return list(_commands(sandbox, app_id, guild_id).values())


@put(
    ["/applications/{app_id:str}/commands", "/applications/{app_id:str}/guilds/{guild_id:str}/commands"],
    opt={"bucket": "commands_write"},
)
async def overwrite_commands(
    app_id: FromPath[int],
    request: Request[Any, Any, Any],
    sandbox: NamedDependency[Sandbox],
    guild_id: FromPath[int | None] = None,
) -> list[dict[str, Any]]:
    """Bulk overwrite: the payload becomes the full command list (ids kept for unchanged names)."""
    payload = await request.json()
    if not isinstance(payload, list):
        raise form_error("_", "BASE_TYPE_ARRAY", "Must be an array of commands.")
    return _overwrite(sandbox, app_id, guild_id, payload)


@post(
    ["/applications/{app_id:str}/commands", "/applications/{app_id:str}/guilds/{guild_id:str}/commands"],
    status_code=200,
    opt={"bucket": "commands_write"},
)
async def upsert_command(
    app_id: FromPath[int],
    request: Request[Any, Any, Any],
    sandbox: NamedDependency[Sandbox],
    guild_id: FromPath[int | None] = None,
) -> dict[str, Any]:
    """Create a command, or replace the one with the same name."""
    payload = await read_payload(request)
    commands = _commands(sandbox, app_id, guild_id)
    existing = next(
        (
            c
            for c in commands.values()
            if c["name"] == payload.get("name") and c["type"] == payload.get("type", CHAT_INPUT)
        ),
        None,
    )
    command = _command(sandbox, payload, guild_id, existing)
    commands[int(command["id"])] = command
    sandbox.touch()
    return command


def _one(sandbox: Sandbox, app_id: int, guild_id: int | None, command_id: int) -> dict[str, Any]:
    command = _commands(sandbox, app_id, guild_id).get(command_id)
    if command is None:
        raise not_found(UNKNOWN_APPLICATION_COMMAND, "application command")
    return command


@get(
    [
        "/applications/{app_id:str}/commands/{command_id:str}",
        "/applications/{app_id:str}/guilds/{guild_id:str}/commands/{command_id:str}",
    ],
    sync_to_thread=False,
)
def get_command(
    app_id: FromPath[int],
    command_id: FromPath[int],
    sandbox: NamedDependency[Sandbox],
    guild_id: FromPath[int | None] = None,
) -> dict[str, Any]:
    """One command."""
    return _one(sandbox, app_id, guild_id, command_id)


@patch(
    [
        "/applications/{app_id:str}/commands/{command_id:str}",
        "/applications/{app_id:str}/guilds/{guild_id:str}/commands/{command_id:str}",
    ],
    opt={"bucket": "commands_write"},
)
async def edit_command(
    app_id: FromPath[int],
    command_id: FromPath[int],
    request: Request[Any, Any, Any],
    sandbox: NamedDependency[Sandbox],
    guild_id: FromPath[int | None] = None,
) -> dict[str, Any]:
    """Edit a command."""
    current = _one(sandbox, app_id, guild_id, command_id)
    merged = {**current, **(await read_payload(request))}
    command = _command(sandbox, merged, guild_id, current)
    _commands(sandbox, app_id, guild_id)[command_id] = command
    return command


@delete(
    [
        "/applications/{app_id:str}/commands/{command_id:str}",
        "/applications/{app_id:str}/guilds/{guild_id:str}/commands/{command_id:str}",
    ],
    opt={"bucket": "commands_write"},
    sync_to_thread=False,
)
def delete_command(
    app_id: FromPath[int],
    command_id: FromPath[int],
    sandbox: NamedDependency[Sandbox],
    guild_id: FromPath[int | None] = None,
) -> None:
    """Delete a command."""
    _one(sandbox, app_id, guild_id, command_id)
    del _commands(sandbox, app_id, guild_id)[command_id]


COMMAND_HANDLERS = [
    list_commands,
    overwrite_commands,
    upsert_command,
    get_command,
    edit_command,
    delete_command,
]
