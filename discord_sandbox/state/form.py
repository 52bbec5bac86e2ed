"""Discord's "Invalid Form Body" (50035): errors nested by field path, each `{"_errors": [{code, message}]}`.

The codes and messages are Discord's own (BASE_TYPE_REQUIRED, MODEL_TYPE_CONVERT, URL_TYPE_INVALID_SCHEME, …).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from .errors import INVALID_FORM_BODY, DiscordError

Errors = dict[str, Any]
Path = list[str | int]
WEB_SCHEMES = ("http", "https")
LINK_SCHEMES = ("http", "https", "discord")
MEDIA_SCHEMES = ("http", "https", "attachment")
SNOWFLAKE = re.compile(r"^[0-9]{1,20}$")
MAX_SNOWFLAKE = 2**64 - 1


def error(code: str, message: str) -> Errors:
    """One error leaf."""
    return {"_errors": [{"code": code, "message": message}]}


def put(errors: Errors, path: Path, leaf: Errors) -> None:
    """Record `leaf` at `path` (keys as strings, like Discord's `components.0.custom_id`)."""
    node = errors
    for key in path:
        node = node.setdefault(str(key), {})
    node.setdefault("_errors", []).extend(leaf["_errors"])


def raise_if_any(errors: Errors) -> None:
    """400 Invalid Form Body if anything was recorded."""
    if errors:
        raise DiscordError(400, INVALID_FORM_BODY, "Invalid Form Body", _one_level(errors))


def _one_level(node: Errors) -> Errors:
    """Discord reports a field's own errors or its children's, never both: its own win."""
    if "_errors" in node:
        return {"_errors": node["_errors"]}
    return {key: _one_level(child) for key, child in node.items()}


def is_snowflake(value: Any) -> bool:
    """A snowflake as Discord takes one: a non-negative integer within 64 bits, or its decimal string."""
    if isinstance(value, bool):
        return False
    found = str(value) if isinstance(value, int) else value
    return isinstance(found, str) and bool(SNOWFLAKE.match(found)) and int(found) <= MAX_SNOWFLAKE


def not_snowflake(value: Any) -> Errors:
    """NUMBER_TYPE_COERCE for a value that is no snowflake (in a body, or an id in the path)."""
    return error("NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.')


def bad_path_ids(ids: dict[str, str]) -> DiscordError | None:
    """400 Invalid Form Body naming each path id (by Discord's name for it) that is no snowflake, as Discord
    answers `/channels/abc/messages`; None when they all are."""
    errors: Errors = {}
    for name, value in ids.items():
        if not is_snowflake(value):
            put(errors, [name], not_snowflake(value))
    return DiscordError(400, INVALID_FORM_BODY, "Invalid Form Body", errors) if errors else None


def too_long(limit: int) -> Errors:
    return error("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def bad_length(low: int, high: int) -> Errors:
    return error("BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def required() -> Errors:
    return error("BASE_TYPE_REQUIRED", "This field is required")


def choices(allowed: tuple[int, ...]) -> Errors:
    return error("BASE_TYPE_CHOICES", f"Value must be one of {allowed}.")


def union_choices(allowed: tuple[int, ...]) -> Errors:
    return error("UNION_TYPE_CHOICES", f'Value of field "type" must be one of {allowed}.')


def is_object(value: Any, errors: Errors, path: Path) -> bool:
    """True for a JSON object; records MODEL_TYPE_CONVERT otherwise."""
    if isinstance(value, dict):
        return True
    put(errors, path, error("MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"))
    return False


def is_list(value: Any, errors: Errors, path: Path) -> bool:
    """True for a JSON array; records LIST_TYPE_CONVERT otherwise."""
    if isinstance(value, list):
        return True
    put(errors, path, error("LIST_TYPE_CONVERT", "Only iterables may be used in a ListType"))
    return False


def text(value: Any, errors: Errors, path: Path, *, limit: int, low: int = 0) -> str:
    """A string field (absent or null is ""), checked for type and length."""
    if value is None:
        value = ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        put(errors, path, error("BASE_TYPE_STRING", "This field must be a string."))
        return ""
    found = str(value)
    if low and not low <= len(found) <= limit:
        put(errors, path, bad_length(low, limit))
    elif len(found) > limit:
        put(errors, path, too_long(limit))
    return found


def integer(value: Any, errors: Errors, path: Path, *, low: int, high: int) -> int | None:
    """An integer field within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        put(errors, path, error("NUMBER_TYPE_COERCE", f'Value "{value}" is not int.'))
        return None
    if value > high:
        put(errors, path, error("NUMBER_TYPE_MAX", f"int value should be less than or equal to {high}."))
    elif value < low:
        put(errors, path, error("NUMBER_TYPE_MIN", f"int value should be greater than or equal to {low}."))
    return value


def url(value: Any, errors: Errors, path: Path, *, schemes: tuple[str, ...], limit: int = 2048) -> None:
    """A URL with one of `schemes` (Discord refuses `ftp:`, `javascript:`, relative paths …)."""
    found = text(value, errors, path, limit=limit)
    if not found:
        return
    parts = urlsplit(found)
    if not parts.scheme or (parts.scheme in WEB_SCHEMES and not parts.netloc):
        put(errors, path, error("URL_TYPE_INVALID_URL", "Not a well formed URL."))
    elif parts.scheme not in schemes:
        allowed = ", ".join(repr(s) for s in schemes)
        put(
            errors,
            path,
            error(
                "URL_TYPE_INVALID_SCHEME",
                f'Scheme "{parts.scheme}" is not supported. Scheme must be one of ({allowed}).',
            ),
        )


def timestamp(value: Any, errors: Errors, path: Path) -> None:
    """An ISO 8601 date and time."""
    try:
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if not isinstance(value, str):
            raise ValueError(value)
    except ValueError:
        put(errors, path, error("DATE_TIME_TYPE_PARSE", f"Could not parse {value}. Should be ISO8601."))
