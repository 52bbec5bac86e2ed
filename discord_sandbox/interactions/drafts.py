"""Turn control API requests (a click, a slash command, a modal submit) into INTERACTION_CREATE payloads."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..state import discord_json
from ..state.errors import ControlError
from ..state.model import EMBED_LINKS, READ_MESSAGE_HISTORY, SEND_MESSAGES, VIEW_CHANNEL, Channel, Member
from ..state.sandbox_state import SandboxState

INTERACTION_COMMAND, INTERACTION_COMPONENT, INTERACTION_AUTOCOMPLETE, INTERACTION_MODAL = 2, 3, 4, 5
ATTACHMENT_SIZE_LIMIT = 25 * 1024 * 1024
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
USER, CHANNEL, ROLE, MENTIONABLE = 6, 7, 8, 9
ATTACHMENT = 11
#: Where attached files are served (under /sandbox), like cdn.discordapp.com/attachments/…
ATTACHMENTS_PATH = "/sandbox/api/attachments"
BOOLEAN = 5


def _boolean(value: Any) -> bool:
    """A boolean option: JSON true/false, or the words a form sends ("true", "false")."""
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise ValueError(value)


COERCE: dict[int, Any] = {3: str, 4: int, BOOLEAN: _boolean, 10: float}
TEXT_INPUT, ACTION_ROW, LABEL = 4, 1, 18
DM_APP_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY


@dataclass
class Draft:
    """An interaction about to be dispatched; the tracker adds its id and token."""

    type: int
    user_id: int
    guild_id: int | None
    channel_id: int
    label: str
    payload: dict[str, Any]
    message_id: int | None = None
    trigger: dict[str, Any] | None = None  # a modal submit: the metadata of the interaction that opened it


def component_draft(state: SandboxState, request: dict[str, Any]) -> Draft:
    """A button click or select choice on a message, as a given user."""
    channel = _channel(state, request.get("channel_id"))
    message = state.live_message(channel.id, _id(request.get("message_id"), "message_id"))
    if message is None:
        raise ControlError(404, "unknown_message")
    custom_id = str(request.get("custom_id") or "")
    component = _find_component(message.components, custom_id)
    if component is None:
        raise ControlError(404, "unknown_component", custom_id=custom_id)
    if component.get("disabled"):
        raise ControlError(409, "component_disabled", custom_id=custom_id)
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": component.get("type", 2)}
    if component.get("type") != 2:
        data["values"] = [str(v) for v in request.get("values") or []]
    user_id = _id(request.get("user_id"), "user_id")
    payload = _base(state, INTERACTION_COMPONENT, user_id, channel, data)
    payload["message"] = discord_json.message_json(state, message)
    return Draft(INTERACTION_COMPONENT, user_id, channel.guild_id, channel.id, custom_id, payload, message.id)


def command_draft(
    state: SandboxState, request: dict[str, Any], *, autocomplete: bool = False, base_url: str = ""
) -> Draft:
    """A slash command invocation with options given as `{name: value}`; with `autocomplete`, the
    APPLICATION_COMMAND_AUTOCOMPLETE interaction a client sends while the member types the option named
    `focused` (options are not checked for completeness then, and the focused one carries `focused: true`).
    An attachment option's value is the file: `{"filename", "content_type", "data_base64"}`; it is kept and
    served under `base_url` at the `url` given in `data.resolved.attachments`, as Discord's CDN does."""
    channel = _channel(state, request.get("channel_id"))
    guild_id = channel.guild_id
    if request.get("guild_id") is not None and _id(request.get("guild_id"), "guild_id") != guild_id:
        raise ControlError(400, "channel_not_in_guild")
    user_id = _id(request.get("user_id"), "user_id")
    path = str(request.get("name") or "").split()
    if not path:
        raise ControlError(400, "missing_name")
    command = _lookup_command(state, guild_id, path[0])
    required = int(command.get("default_member_permissions") or 0)
    if guild_id is not None and required and state.permissions_for(guild_id, user_id) & required != required:
        raise ControlError(403, "missing_permissions", command=path[0])
    resolved: dict[str, dict[str, Any]] = {}
    focused = str(request.get("focused") or "") if autocomplete else None
    if autocomplete and not focused:
        raise ControlError(400, "missing_focused")
    options = _build_options(
        state,
        guild_id,
        command.get("options") or [],
        path[1:],
        request.get("options") or {},
        resolved,
        focused,
        base_url,
    )
    data: dict[str, Any] = {
        "id": command["id"],
        "name": command["name"],
        "type": command.get("type", 1),
        "options": options,
    }
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    if resolved and not autocomplete:
        data["resolved"] = resolved
    kind = INTERACTION_AUTOCOMPLETE if autocomplete else INTERACTION_COMMAND
    payload = _base(state, kind, user_id, channel, data)
    return Draft(kind, user_id, guild_id, channel.id, " ".join(path), payload)


def modal_draft(state: SandboxState, request: dict[str, Any], layout: list[dict[str, Any]] | None) -> Draft:
    """A modal submit; `layout` is the modal the bot opened, whose shape the answer mirrors."""
    channel = _channel(state, request.get("channel_id"))
    user_id = _id(request.get("user_id"), "user_id")
    values = {str(k): str(v) for k, v in (request.get("values") or {}).items()}
    custom_id = str(request.get("custom_id") or "")
    components = _modal_answer(layout, values)
    payload = _base(
        state, INTERACTION_MODAL, user_id, channel, {"custom_id": custom_id, "components": components}
    )
    return Draft(INTERACTION_MODAL, user_id, channel.guild_id, channel.id, custom_id, payload)


def _modal_answer(layout: list[dict[str, Any]] | None, values: dict[str, str]) -> list[dict[str, Any]]:
    if layout is None:
        return [{"type": ACTION_ROW, "components": [_answered({"custom_id": cid}, values)]} for cid in values]
    answer: list[dict[str, Any]] = []
    for item in layout:
        if item.get("type") == LABEL:
            answer.append({"type": LABEL, "component": _answered(item.get("component") or {}, values)})
        elif item.get("type") == ACTION_ROW:
            inputs = [_answered(field, values) for field in item.get("components") or []]
            answer.append({"type": ACTION_ROW, "components": inputs})
    return answer


def _answered(field: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """A modal field as submitted: text inputs carry `value`, selects carry `values`."""
    custom_id = str(field.get("custom_id", ""))
    value = values.get(custom_id, "")
    kind = field.get("type", TEXT_INPUT)
    if kind == TEXT_INPUT:
        return {"type": TEXT_INPUT, "custom_id": custom_id, "value": value}
    return {"type": kind, "custom_id": custom_id, "values": [value] if value else []}


def _base(
    state: SandboxState, kind: int, user_id: int, channel: Channel, data: dict[str, Any]
) -> dict[str, Any]:
    user = state.users.get(user_id)
    if user is None:
        raise ControlError(404, "unknown_user")
    bot_id = state.application.bot_user_id
    payload: dict[str, Any] = {
        "application_id": str(state.application.id),
        "type": kind,
        "data": data,
        "version": 1,
        "channel_id": str(channel.id),
        "channel": discord_json.channel_json(state, channel),
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    if channel.guild_id is None:
        if channel.recipient_id != user_id:
            raise ControlError(403, "not_recipient")
        payload.update(
            user=discord_json.user_json(user), context=1, authorizing_integration_owners={"0": "0"}
        )
        payload["app_permissions"] = str(DM_APP_PERMISSIONS)
        return payload
    guild = state.guilds[channel.guild_id]
    member = guild.members.get(user_id)
    if member is None:
        raise ControlError(404, "unknown_member")
    payload.update(
        guild_id=str(guild.id),
        guild={"id": str(guild.id), "locale": "en-US", "features": []},
        guild_locale="en-US",
        member=interaction_member_json(state, guild.id, member, channel_id=channel.id),
        app_permissions=str(state.channel_permissions(channel.id, bot_id)),
        context=0,
        authorizing_integration_owners={"0": str(guild.id)},
    )
    return payload


def interaction_member_json(
    state: SandboxState, guild_id: int, member: Member, *, channel_id: int | None = None
) -> dict[str, Any]:
    """The member object of an interaction, with the member's permissions (in the channel, when given)."""
    if channel_id is not None:
        permissions = state.channel_permissions(channel_id, member.user_id)
    else:
        permissions = state.permissions_for(guild_id, member.user_id)
    return {**discord_json.member_json(state, member), "permissions": str(permissions)}


def _channel(state: SandboxState, raw: Any) -> Channel:
    channel = state.channel(_id(raw, "channel_id"))
    if channel is None:
        raise ControlError(404, "unknown_channel")
    return channel


def _id(raw: Any, name: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ControlError(400, "invalid_id", field=name) from None


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        nested = [
            *(component.get("components") or []),
            *[c for c in (component.get("accessory"), component.get("component")) if c],
        ]
        found = _find_component(nested, custom_id)
        if found is not None:
            return found
    return None


def _lookup_command(state: SandboxState, guild_id: int | None, name: str) -> dict[str, Any]:
    scoped = state.guild_commands.get(guild_id, {}) if guild_id is not None else {}
    for commands in (scoped, state.global_commands):
        for command in commands.values():
            if command["name"] == name and command.get("type", 1) == 1:
                return command
    raise ControlError(404, "unknown_command", name=name)


def _build_options(
    state: SandboxState,
    guild_id: int | None,
    schema: list[dict[str, Any]],
    path: list[str],
    given: dict[str, Any],
    resolved: dict[str, dict[str, Any]],
    focused: str | None = None,
    base_url: str = "",
) -> list[dict[str, Any]]:
    if path:
        sub = next(
            (o for o in schema if o["name"] == path[0] and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)),
            None,
        )
        if sub is None:
            raise ControlError(404, "unknown_subcommand", name=path[0])
        inner = _build_options(
            state, guild_id, sub.get("options") or [], path[1:], given, resolved, focused, base_url
        )
        return [{"name": sub["name"], "type": sub["type"], "options": inner}]
    by_name = {o["name"]: o for o in schema}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        raise ControlError(400, "unknown_option", options=unknown)
    if focused is not None:  # autocomplete: the options typed so far, as strings, the focused one marked
        if by_name.get(focused, {}).get("autocomplete") is not True:
            raise ControlError(400, "option_not_autocomplete", option=focused)
        return [
            {"name": name, "type": by_name[name]["type"], "value": str(value)}
            | ({"focused": True} if name == focused else {})
            for name, value in {focused: "", **given}.items()
        ]
    missing = [o["name"] for o in schema if o.get("required") and o["name"] not in given]
    if missing:
        raise ControlError(400, "missing_option", options=missing)
    return [
        _option(state, guild_id, by_name[name], value, resolved, base_url) for name, value in given.items()
    ]


def _option(
    state: SandboxState,
    guild_id: int | None,
    spec: dict[str, Any],
    value: Any,
    resolved: dict[str, dict[str, Any]],
    base_url: str = "",
) -> dict[str, Any]:
    kind = spec["type"]
    if kind == ATTACHMENT:
        value = _attach(state, value, resolved, spec["name"], base_url)
    elif kind in COERCE:
        try:
            value = COERCE[kind](value)
        except (TypeError, ValueError):
            raise ControlError(400, "invalid_option", option=spec["name"]) from None
        choices = [c["value"] for c in spec.get("choices") or []]
        if choices and value not in choices:
            raise ControlError(400, "invalid_choice", option=spec["name"], choices=choices)
        _check_limits(spec, value)
    elif kind in (USER, CHANNEL, ROLE, MENTIONABLE):
        value = str(value)
        _resolve(state, guild_id, kind, int(value), resolved, spec["name"])
    return {"name": spec["name"], "type": kind, "value": value}


def _attach(
    state: SandboxState, given: Any, resolved: dict[str, dict[str, Any]], name: str, base_url: str
) -> str:
    """Keep a file a member attached; its id is the option's value, its details go in `resolved`."""
    if not isinstance(given, dict):
        raise ControlError(
            400, "invalid_option", option=name, expected="{filename, content_type, data_base64}"
        )
    try:
        data = base64.b64decode(str(given.get("data_base64") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise ControlError(400, "invalid_option", option=name, expected="data_base64") from None
    if len(data) > ATTACHMENT_SIZE_LIMIT:
        raise ControlError(400, "attachment_too_large", option=name, limit=ATTACHMENT_SIZE_LIMIT)
    filename = str(given.get("filename") or "file")[:100]
    content_type = str(given.get("content_type") or "application/octet-stream")
    attachment_id = state.next_id()
    state.attachments[attachment_id] = (filename, content_type, data)
    url = f"{base_url.rstrip('/')}{ATTACHMENTS_PATH}/{attachment_id}/{quote(filename)}"
    resolved.setdefault("attachments", {})[str(attachment_id)] = {
        "id": str(attachment_id),
        "filename": filename,
        "size": len(data),
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
        "ephemeral": True,  # a command option's file is visible to the bot only, as on Discord
    }
    return str(attachment_id)


def _check_limits(spec: dict[str, Any], value: Any) -> None:
    """Discord's client refuses numbers and texts outside the option's limits before sending them."""
    low, high = spec.get("min_value"), spec.get("max_value")
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and ((low is not None and value < low) or (high is not None and value > high)):
        raise ControlError(400, "option_out_of_range", option=spec["name"], min=low, max=high)
    if isinstance(value, str):
        shortest, longest = spec.get("min_length"), spec.get("max_length")
        if (shortest is not None and len(value) < shortest) or (longest is not None and len(value) > longest):
            raise ControlError(
                400, "option_length", option=spec["name"], min_length=shortest, max_length=longest
            )


def _resolve(
    state: SandboxState,
    guild_id: int | None,
    kind: int,
    target: int,
    resolved: dict[str, dict[str, Any]],
    name: str,
) -> None:
    guild = state.guilds.get(guild_id) if guild_id is not None else None
    if kind in (USER, MENTIONABLE) and target in state.users:
        resolved.setdefault("users", {})[str(target)] = discord_json.user_json(state.users[target])
        if guild is not None and target in guild.members:
            member = interaction_member_json(state, guild.id, guild.members[target])
            resolved.setdefault("members", {})[str(target)] = {k: v for k, v in member.items() if k != "user"}
    elif kind in (ROLE, MENTIONABLE) and guild is not None and target in guild.roles:
        resolved.setdefault("roles", {})[str(target)] = discord_json.role_json(guild.roles[target])
    elif kind == CHANNEL and (channel := state.channel(target)) is not None:
        resolved.setdefault("channels", {})[str(target)] = {
            **discord_json.channel_json(state, channel),
            "permissions": "0",
        }
    else:
        raise ControlError(404, "unknown_option_target", option=name)
