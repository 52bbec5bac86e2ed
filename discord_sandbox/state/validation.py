"""Payloads the bot sends, checked like Discord: limits, structure, and the flags each route accepts.

Violations become 400 Invalid Form Body (50035) with nested `errors`; an empty message is 50006.
"""

from __future__ import annotations

import re
from typing import Any

from . import form
from .components import check_message_components, check_modal_components
from .embeds import check_embeds
from .errors import CANNOT_SEND_EMPTY_MESSAGE, DiscordError
from .mentions import check_allowed_mentions
from .model import Message

MAX_CONTENT = 2000
MAX_MODAL_TITLE = 45
MAX_CUSTOM_ID = 100
CHAT_INPUT = 1
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
MAX_COMMAND_DESCRIPTION = 100
MAX_COMMAND_OPTIONS = 25

SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS = 1 << 2, 1 << 6, 1 << 12
IS_VOICE_MESSAGE, IS_COMPONENTS_V2 = 1 << 13, 1 << 15
#: The flags each kind of request may set (Discord refuses the others).
CREATE_FLAGS = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_VOICE_MESSAGE | IS_COMPONENTS_V2
EDIT_FLAGS = SUPPRESS_EMBEDS | IS_COMPONENTS_V2
INTERACTION_FLAGS = EPHEMERAL | SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2
DEFERRED_FLAGS = EPHEMERAL | IS_COMPONENTS_V2


def validate_message(
    payload: dict[str, Any], *, require_content: bool = True, flags: int = CREATE_FLAGS
) -> None:
    """Raise DiscordError if a create/edit payload is malformed or breaks Discord's limits.

    `flags` is what the route accepts: CREATE_FLAGS (channel messages), EDIT_FLAGS (edits),
    INTERACTION_FLAGS (interaction responses and followups).
    """
    errors: form.Errors = {}
    content = form.text(payload.get("content"), errors, ["content"], limit=MAX_CONTENT)
    given_flags = _flags(payload.get("flags"), flags, errors)
    check_embeds(payload.get("embeds"), errors)
    v2 = bool(given_flags & IS_COMPONENTS_V2)
    check_message_components(payload.get("components"), errors, v2=v2)
    check_allowed_mentions(payload.get("allowed_mentions"), errors)
    if v2 and (content or payload.get("embeds")):
        form.put(
            errors,
            ["content" if content else "embeds"],
            form.error(
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used when using MessageFlags.IS_COMPONENTS_V2",
            ),
        )
    form.raise_if_any(errors)
    if require_content and not _has_body(payload):
        raise DiscordError(400, CANNOT_SEND_EMPTY_MESSAGE, "Cannot send an empty message")


def validate_edit(payload: dict[str, Any], current: Message, *, flags: int = EDIT_FLAGS) -> None:
    """An edit payload: valid on its own, and not leaving the message without content, embeds or components."""
    validate_message(payload, require_content=False, flags=flags)
    after = {
        key: payload[key] if key in payload else getattr(current, key)
        for key in ("content", "embeds", "components")
    }
    if not _has_body({**after, "attachments": payload.get("attachments"), "poll": payload.get("poll")}):
        raise DiscordError(400, CANNOT_SEND_EMPTY_MESSAGE, "Cannot send an empty message")


def _has_body(payload: dict[str, Any]) -> bool:
    keys = ("content", "embeds", "components", "attachments", "poll", "sticker_ids")
    return any(payload.get(key) for key in keys)


def _flags(value: Any, allowed: int, errors: form.Errors) -> int:
    if value is None:
        return 0
    found = form.integer(value, errors, ["flags"], low=0, high=2**53)
    if found is not None and found & ~allowed:
        form.put(errors, ["flags"], form.error("MESSAGE_FLAGS_INVALID", "Invalid flags for this message"))
    return found or 0


def validate_modal(data: dict[str, Any]) -> None:
    """Raise DiscordError if a modal response is malformed or breaks Discord's limits."""
    errors: form.Errors = {}
    form.text(data.get("custom_id"), errors, ["custom_id"], limit=MAX_CUSTOM_ID, low=1)
    form.text(data.get("title"), errors, ["title"], limit=MAX_MODAL_TITLE, low=1)
    check_modal_components(data.get("components"), errors)
    form.raise_if_any(errors)


def validate_command(payload: dict[str, Any]) -> None:
    """Raise DiscordError if an application command definition breaks Discord's rules."""
    errors: form.Errors = {}
    name = str(payload.get("name") or "")
    kind = payload.get("type", CHAT_INPUT)
    if not COMMAND_NAME.match(name) or (kind == CHAT_INPUT and name != name.lower()):
        form.put(errors, ["name"], form.error("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
    if kind == CHAT_INPUT and not 1 <= len(str(payload.get("description") or "")) <= MAX_COMMAND_DESCRIPTION:
        form.put(errors, ["description"], form.bad_length(1, MAX_COMMAND_DESCRIPTION))
    if len(payload.get("options") or []) > MAX_COMMAND_OPTIONS:
        form.put(errors, ["options"], form.too_long(MAX_COMMAND_OPTIONS))
    form.raise_if_any(errors)
