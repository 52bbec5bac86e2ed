"""Discord's message payload limits; violations become 400 Invalid Form Body."""

from __future__ import annotations

import re
from typing import Any

from .errors import CANNOT_SEND_EMPTY_MESSAGE, INVALID_FORM_BODY, DiscordError

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
EMBED_TEXT_LIMITS = {"title": 256, "description": 4096}
MAX_FIELDS = 25
FIELD_LIMITS = {"name": 256, "value": 1024}
FOOTER_TEXT = 2048
AUTHOR_NAME = 256
MAX_ACTION_ROWS = 5
MAX_ROW_ITEMS = 5
MAX_CUSTOM_ID = 100
MAX_LABEL = 80
MAX_SELECT_OPTIONS = 25
MAX_PLACEHOLDER = 150
MAX_OPTION_TEXT = 100
IS_COMPONENTS_V2 = 1 << 15
ACTION_ROW, BUTTON, LINK_STYLE, PREMIUM_STYLE = 1, 2, 5, 6
SELECT_TYPES = {3, 5, 6, 7, 8}
MAX_MODAL_TITLE = 45
CHAT_INPUT = 1
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
MAX_COMMAND_DESCRIPTION = 100
MAX_COMMAND_OPTIONS = 25

Errors = dict[str, Any]


def _error(code: str, message: str) -> Errors:
    return {"_errors": [{"code": code, "message": message}]}


def _too_long(limit: int) -> Errors:
    return _error("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _put(errors: Errors, path: list[str | int], leaf: Errors) -> None:
    node = errors
    for key in path:
        node = node.setdefault(str(key), {})
    node.update(leaf)


def validate_message(payload: dict[str, Any], *, require_content: bool = True) -> None:
    """Raise DiscordError if a create/edit payload breaks Discord's limits."""
    errors: Errors = {}
    content = payload.get("content")
    if content is not None and len(str(content)) > MAX_CONTENT:
        _put(errors, ["content"], _too_long(MAX_CONTENT))
    embeds = payload.get("embeds") or []
    _check_embeds(embeds, errors)
    components = payload.get("components") or []
    if not int(payload.get("flags") or 0) & IS_COMPONENTS_V2:
        _check_components(components, errors)
    if errors:
        raise DiscordError(400, INVALID_FORM_BODY, "Invalid Form Body", errors)
    has_body = content or embeds or components or payload.get("attachments") or payload.get("poll")
    if require_content and not has_body:
        raise DiscordError(400, CANNOT_SEND_EMPTY_MESSAGE, "Cannot send an empty message")


def _check_embeds(embeds: list[dict[str, Any]], errors: Errors) -> None:
    if len(embeds) > MAX_EMBEDS:
        _put(errors, ["embeds"], _too_long(MAX_EMBEDS))
        return
    total = 0
    for index, embed in enumerate(embeds):
        for key, limit in EMBED_TEXT_LIMITS.items():
            text = str(embed.get(key) or "")
            total += len(text)
            if len(text) > limit:
                _put(errors, ["embeds", index, key], _too_long(limit))
        fields = embed.get("fields") or []
        if len(fields) > MAX_FIELDS:
            _put(errors, ["embeds", index, "fields"], _too_long(MAX_FIELDS))
        for f_index, field in enumerate(fields):
            for key, limit in FIELD_LIMITS.items():
                text = str(field.get(key) or "")
                total += len(text)
                if not text:
                    _put(errors, ["embeds", index, "fields", f_index, key], _required())
                elif len(text) > limit:
                    _put(errors, ["embeds", index, "fields", f_index, key], _too_long(limit))
        footer = str((embed.get("footer") or {}).get("text") or "")
        author = str((embed.get("author") or {}).get("name") or "")
        total += len(footer) + len(author)
        if len(footer) > FOOTER_TEXT:
            _put(errors, ["embeds", index, "footer", "text"], _too_long(FOOTER_TEXT))
        if len(author) > AUTHOR_NAME:
            _put(errors, ["embeds", index, "author", "name"], _too_long(AUTHOR_NAME))
    if total > MAX_EMBED_TOTAL and "embeds" not in errors:
        _put(errors, ["embeds"], _error("MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"))


def _bad_length(low: int, high: int) -> Errors:
    return _error("BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def _required() -> Errors:
    return _error("BASE_TYPE_REQUIRED", "This field is required")


def _check_components(rows: list[dict[str, Any]], errors: Errors) -> None:
    if len(rows) > MAX_ACTION_ROWS:
        _put(errors, ["components"], _too_long(MAX_ACTION_ROWS))
        return
    seen: set[str] = set()
    for r_index, row in enumerate(rows):
        where: list[str | int] = ["components", r_index]
        if row.get("type") != ACTION_ROW:
            _put(
                errors, [*where, "type"], _error("UNION_TYPE_CHOICES", "Value of field must be an action row")
            )
            continue
        items = row.get("components") or []
        has_select = any(item.get("type") in SELECT_TYPES for item in items)
        if len(items) > MAX_ROW_ITEMS or (has_select and len(items) > 1) or not items:
            limit = 1 if has_select else MAX_ROW_ITEMS
            _put(errors, [*where, "components"], _bad_length(1, limit))
        for i_index, item in enumerate(items):
            _check_item(item, [*where, "components", i_index], seen, errors)


def _check_item(item: dict[str, Any], where: list[str | int], seen: set[str], errors: Errors) -> None:
    custom_id = item.get("custom_id")
    is_link = item.get("type") == BUTTON and item.get("style") in (LINK_STYLE, PREMIUM_STYLE)
    if custom_id is None and not is_link:
        _put(errors, [*where, "custom_id"], _required())
    elif custom_id is not None:
        if len(custom_id) > MAX_CUSTOM_ID:
            _put(errors, [*where, "custom_id"], _too_long(MAX_CUSTOM_ID))
        if custom_id in seen:
            _put(
                errors,
                [*where, "custom_id"],
                _error("COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"),
            )
        seen.add(custom_id)
    if len(str(item.get("label") or "")) > MAX_LABEL:
        _put(errors, [*where, "label"], _too_long(MAX_LABEL))
    if len(str(item.get("placeholder") or "")) > MAX_PLACEHOLDER:
        _put(errors, [*where, "placeholder"], _too_long(MAX_PLACEHOLDER))
    options = item.get("options") or []
    if len(options) > MAX_SELECT_OPTIONS:
        _put(errors, [*where, "options"], _too_long(MAX_SELECT_OPTIONS))
    for o_index, option in enumerate(options):
        for key in ("label", "value", "description"):
            if len(str(option.get(key) or "")) > MAX_OPTION_TEXT:
                _put(errors, [*where, "options", o_index, key], _too_long(MAX_OPTION_TEXT))


def validate_modal(data: dict[str, Any]) -> None:
    """Raise DiscordError if a modal response breaks Discord's limits."""
    errors: Errors = {}
    for key, limit in (("custom_id", MAX_CUSTOM_ID), ("title", MAX_MODAL_TITLE)):
        if not 1 <= len(str(data.get(key) or "")) <= limit:
            _put(errors, [key], _bad_length(1, limit))
    if not 1 <= len(data.get("components") or []) <= MAX_ACTION_ROWS:
        _put(errors, ["components"], _bad_length(1, MAX_ACTION_ROWS))
    if errors:
        raise DiscordError(400, INVALID_FORM_BODY, "Invalid Form Body", errors)


def validate_command(payload: dict[str, Any]) -> None:
    """Raise DiscordError if an application command definition breaks Discord's rules."""
    errors: Errors = {}
    name = str(payload.get("name") or "")
    kind = payload.get("type", CHAT_INPUT)
    if not COMMAND_NAME.match(name) or (kind == CHAT_INPUT and name != name.lower()):
        _put(errors, ["name"], _error("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
    if kind == CHAT_INPUT and not 1 <= len(str(payload.get("description") or "")) <= MAX_COMMAND_DESCRIPTION:
        _put(errors, ["description"], _bad_length(1, MAX_COMMAND_DESCRIPTION))
    if len(payload.get("options") or []) > MAX_COMMAND_OPTIONS:
        _put(errors, ["options"], _too_long(MAX_COMMAND_OPTIONS))
    if errors:
        raise DiscordError(400, INVALID_FORM_BODY, "Invalid Form Body", errors)
