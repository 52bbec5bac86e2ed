"""The viewer's command box: the bot's registered slash commands as forms, and a filled form as options."""

from __future__ import annotations

from typing import Any

from ..state.model import CHANNEL_CATEGORY, Guild
from ..state.sandbox_state import SandboxState

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10
#: Attachment options are left out of the viewer's form (files go through the control API).
ATTACHMENT = 11
KINDS = {
    STRING: "string",
    INTEGER: "integer",
    BOOLEAN: "boolean",
    USER: "user",
    CHANNEL: "channel",
    ROLE: "role",
    MENTIONABLE: "mentionable",
    NUMBER: "number",
}
CHAT_INPUT = 1
OPTION_PREFIX = "option:"


def registered_commands(state: SandboxState, guild: Guild, user_id: int) -> list[dict[str, Any]]:
    """The chat commands the bot registered (globally and in this guild) that the member may use, one entry
    per subcommand ("game create"), sorted by name, as Discord's command picker lists them."""
    commands = [*state.guild_commands.get(guild.id, {}).values(), *state.global_commands.values()]
    allowed = state.permissions_for(guild.id, user_id)
    found: list[dict[str, Any]] = []
    for command in commands:
        if command.get("type", CHAT_INPUT) != CHAT_INPUT:
            continue
        required = int(command.get("default_member_permissions") or 0)
        if required and allowed & required != required:
            continue  # Discord hides it from members without the permissions
        found.extend(
            _paths([command["name"]], command.get("description") or "", command.get("options") or [])
        )
    return sorted(found, key=lambda c: c["path"])


def _paths(path: list[str], description: str, options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    subs = [o for o in options if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if not subs:
        return [{"path": " ".join(path), "description": description, "options": options}]
    found: list[dict[str, Any]] = []
    for sub in subs:
        found.extend(_paths([*path, sub["name"]], sub.get("description") or "", sub.get("options") or []))
    return found


def option_fields(state: SandboxState, guild: Guild, options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each option of a command as a form field: its kind, limits, choices, and for users, channels and roles
    the guild's members, channels and roles to pick from."""
    fields = []
    for option in options:
        kind = int(option.get("type") or STRING)
        if kind == ATTACHMENT:
            continue
        field: dict[str, Any] = {
            "name": option["name"],
            "description": option.get("description") or "",
            "kind": KINDS.get(kind, "string"),
            "required": bool(option.get("required")),
            "choices": [{"name": c["name"], "value": str(c["value"])} for c in option.get("choices") or []],
            "autocomplete": bool(option.get("autocomplete")),
            "min": option.get("min_value"),
            "max": option.get("max_value"),
            "min_length": option.get("min_length"),
            "max_length": option.get("max_length"),
            "targets": [],
        }
        if kind in (USER, MENTIONABLE):
            field["targets"] += [
                {"id": str(m.user_id), "label": f"@{state.member_display_name(guild.id, m.user_id)}"}
                for m in sorted(guild.members.values(), key=lambda m: m.user_id)
            ]
        if kind in (ROLE, MENTIONABLE):
            field["targets"] += [
                {"id": str(r.id), "label": f"@{r.name.lstrip('@')}"}
                for r in sorted(guild.roles.values(), key=lambda r: -r.position)
                if r.id != guild.id
            ]
        if kind == CHANNEL:
            wanted = option.get("channel_types")
            field["targets"] = [
                {"id": str(c.id), "label": f"#{c.name}"}
                for c in sorted(guild.channels.values(), key=lambda c: (c.position, c.id))
                if (c.type in wanted if wanted else c.type != CHANNEL_CATEGORY)
            ]
        fields.append(field)
    return fields


def filled_options(form: dict[str, str], options: list[dict[str, Any]]) -> dict[str, Any]:
    """The options a member filled in, typed as a Discord client sends them; empty fields are left out."""
    filled: dict[str, Any] = {}
    for option in options:
        if option.get("type") == ATTACHMENT:
            continue
        raw = form.get(OPTION_PREFIX + option["name"], "").strip()
        if raw == "":
            continue
        if option.get("type") == BOOLEAN:
            filled[option["name"]] = raw == "true"
        else:
            filled[option["name"]] = raw  # the control API types and checks the rest
    return filled


def find_command(commands: list[dict[str, Any]], path: str | None) -> dict[str, Any] | None:
    """The picked command, by its path ("game create")."""
    return next((c for c in commands if c["path"] == path), None)
