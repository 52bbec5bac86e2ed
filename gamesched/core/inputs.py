"""What people send, checked once for every edge: Discord ids, and text fit to store and show.

Discord ids (snowflakes) are BIGINT in PostgreSQL, so an id is a whole number from 1 to 2**63 - 1: a
larger one would reach the database and fail there. JSON carries ids as strings (``Snowflake``), forms
and URLs as digits (``parse_snowflake``, ``SNOWFLAKE_MAX`` for Litestar's path and query parameters).

Text loses what would spoof or vanish: PostgreSQL refuses NUL, control characters have no place in a
title, bidi overrides and isolates can make a title read backwards in Discord and on the dashboard, and
zero-width characters alone make a title nobody can see.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import Meta

from gamesched.core.errors import Invalid

SNOWFLAKE_MIN = 1
SNOWFLAKE_MAX = 2**63 - 1
SNOWFLAKE_EXAMPLE = "1300000000000000001"
SNOWFLAKE_DESCRIPTION = f"A Discord id (snowflake), as a string: a whole number from 1 to {SNOWFLAKE_MAX}."


def _up_to(bound: int) -> str:
    """A regex for the whole numbers 1..bound written without leading zeros (for a JSON schema ``pattern``)."""
    digits = str(bound)
    last = len(digits) - 1
    shorter = [f"[1-9][0-9]{{0,{last - 1}}}"] if last > 0 else []
    same_length = [
        f"{digits[:i]}[{int(i == 0)}-{int(d) - 1}][0-9]{{{last - i}}}"
        for i, d in enumerate(digits)
        if int(d) > int(i == 0)
    ]
    return "^(?:" + "|".join([*shorter, *same_length, digits]) + ")$"


SNOWFLAKE_PATTERN = _up_to(SNOWFLAKE_MAX)
_SNOWFLAKE = re.compile(SNOWFLAKE_PATTERN)

#: A Discord id in JSON: a string, so JavaScript clients keep every digit.
Snowflake = Annotated[
    str, Meta(pattern=SNOWFLAKE_PATTERN, description=SNOWFLAKE_DESCRIPTION, examples=[SNOWFLAKE_EXAMPLE])
]


def parse_snowflake(text: str) -> int | None:
    """``"1300000000000000001"`` → the id; None for anything that cannot be one (``"0"``, ``"007"``, 2**63)."""
    return int(text) if _SNOWFLAKE.fullmatch(text) else None


def is_snowflake(value: int) -> bool:
    return SNOWFLAKE_MIN <= value <= SNOWFLAKE_MAX


# --- validator messages in words ------------------------------------------------------------------

#: How a field is named in a sentence; other fields are named from their key ("max_players": "Max players").
FIELD_LABELS = {
    "body": "The request body",
    "category": "The category",
    "page_number": "The page number",
    "title": "The title",
    "description": "The description",
    "location": "The location",
    "scheduled_at": "The start time",
    "guild_id": "The server",
    "channel_id": "The channel",
    "host_id": "The host",
    "channel": "The channel",
    "initial_participants": "The players to add",
    "participant_ids": "The list of players",
    "signup_method": "The signup method",
    "signup_instructions": "The signup instructions",
    "reminder_minutes": "The reminders",
    "duration_minutes": "The duration",
    "max_players": "Max players",
    "remind_waitlist": "“Remind the waitlist”",
    "is_active": "Open for games",
    "expected_version": "The version",
}
_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "str": "text",
    "bool": "true or false",
    "array": "a list",
    "object": "a JSON object",
    "datetime": "a date and time with a UTC offset, like 2030-01-05T19:00:00+00:00",
    "null": "empty",
}
_EXPECTED_TYPE = re.compile(r"^Expected `([^`]+)`, got `([^`]+)`")
_BOUND = re.compile(r"^Expected `(\w+)`(?: of length)? (<=|>=|<|>) (-?\d+)")
_MISSING = re.compile(r"^Object missing required field `([^`]+)`")
_UNKNOWN = re.compile(r"^Object contains unknown field `([^`]+)`")
_MISSING_PARAMETER = re.compile(r"^Missing required (?:\w+ )?parameter '([^']+)'")


def too_long(limit: int, length: int) -> str:
    """The one wording of a length limit: ``limit`` characters are allowed, one more is not."""
    return f"Keep it to at most {limit} characters (this has {length})."


def check_length(text: str, limit: int, *, field: str) -> str:
    """``text`` when it has at most ``limit`` characters; otherwise Invalid saying so, for paths that do
    not go through a schema's limits (a slash command's option)."""
    if len(text) > limit:
        raise Invalid(
            f"{field_label(field)} can have at most {limit} characters (this has {len(text)}).", field=field
        )
    return text


def field_label(field: str | None) -> str:
    """``"max_players"`` → ``"Max players"``; ``"player_role_ids[0]"`` → ``"Player roles"``."""
    if not field:
        return "This value"
    name = re.split(r"[.\[]", field)[0]
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    words = name.removesuffix("_ids").removesuffix("_id").replace("_", " ")
    return (words + ("s" if name.endswith("_ids") else "")).capitalize()


def explain(message: str, field: str | None = None) -> str:
    """A validator's message (msgspec's or Litestar's: "Expected `int | null`, got `str`") as a sentence
    about the person's input ("The channel must be a whole number."). The one translation of validator
    text: the JSON API's error bodies, the dashboard's forms and Discord's replies all go through it."""
    text = message.split(" - at `")[0].strip()
    what = field_label(field)
    # One item of a list: "player_role_ids[1]" (a made-up field starting with "[" has no label to word).
    if field and "[" in field and what.removeprefix("The "):
        what = f"Each of the {what.removeprefix('The ')[0].lower()}{what.removeprefix('The ')[1:]}"
    if SNOWFLAKE_PATTERN in text or f"<= {SNOWFLAKE_MAX}" in text or "matching regex" in text:
        return f"{what} must be a Discord id: a whole number from 1 to {SNOWFLAKE_MAX}."
    if match := _MISSING.match(text) or _MISSING_PARAMETER.match(text):
        return f"{field_label(match.group(1))} is missing."
    if match := _UNKNOWN.match(text):
        return f"{match.group(1)!r} is not something this form takes; leave it out."
    if match := _BOUND.match(text):
        kind, op, number = match.group(1), match.group(2), int(match.group(3))
        limit = number - 1 if op == "<" else number + 1 if op == ">" else number
        most = op.startswith("<")
        if kind == "str":
            if not most and limit <= 1:
                return f"{what} can't be empty."
            return f"{what} can have {'at most' if most else 'at least'} {limit} characters."
        if kind == "array":
            items = "item" if limit == 1 else "items"
            return f"{what} can hold {'at most' if most else 'at least'} {limit} {items}."
        return f"{what} must be {'at most' if most else 'at least'} {limit}."
    if match := _EXPECTED_TYPE.match(text):
        wanted = [_TYPE_WORDS.get(t.strip(), t.strip()) for t in match.group(1).split("|")]
        wanted = [w for w in wanted if w != "empty"] or ["empty"]
        return f"{what} must be {' or '.join(wanted)}."
    if "datetime" in text or "RFC3339" in text or "timezone" in text:
        return f"{what} must be {_TYPE_WORDS['datetime']}."
    if text.startswith("Invalid enum value"):
        return f"{what} is not one of the choices."
    if "UUID" in text or "uuid" in text:
        return f"{what} must be an id from this site."
    return f"{what} is not valid."


_MSGSPEC_PATH = re.compile(r" - at `\$\.?(.*)`$")
T = TypeVar("T")


def _problem(text: str, prefix: str = "") -> dict[str, Any]:
    path = _MSGSPEC_PATH.search(text)
    inner = path.group(1) if path else ""
    key = prefix + (f".{inner}" if inner and not inner.startswith("[") and prefix else inner)
    return {"key": key, "field": re.split(r"[.\[]", key)[0] or None, "message": text.split(" - at ")[0]}


def field_problems(
    value: Any, annotation: Any, error: msgspec.ValidationError, hook: Any = None
) -> list[dict[str, Any]]:
    """Every problem of ``value`` as ``annotation`` (``key``, ``field``, the validator's ``message``), not just
    the first that msgspec stops at: each field of a struct is checked against its own type on its own."""
    if not (
        isinstance(value, dict) and isinstance(annotation, type) and issubclass(annotation, msgspec.Struct)
    ):
        return [_problem(str(error))]
    problems = []
    fields = msgspec.structs.fields(annotation)
    for field in fields:
        if field.encode_name not in value:
            if field.required:
                problems.append(
                    _problem(f"Object missing required field `{field.encode_name}`", field.encode_name)
                )
            continue
        try:
            msgspec.convert(value[field.encode_name], field.type, strict=True, dec_hook=hook)
        except msgspec.ValidationError as exc:
            problems.append(_problem(str(exc), field.encode_name))
    if annotation.__struct_config__.forbid_unknown_fields:
        known = {f.encode_name for f in fields}
        problems += [_problem(f"Object contains unknown field `{k}`", k) for k in value if k not in known]
    return problems or [_problem(str(error))]


def invalid(problems: list[dict[str, Any]]) -> Invalid:
    """One Invalid for every problem found: its message says them all, ``field`` names the first, and
    ``errors`` holds each (``field``, ``message``) for forms and the API."""
    sentences = list(dict.fromkeys(p["message"] for p in problems))
    return Invalid(" ".join(sentences), field=problems[0].get("field") if problems else None, errors=problems)


def convert(value: Any, annotation: type[T]) -> T:
    """``msgspec.convert`` for what people typed: Invalid listing every problem in sentences otherwise."""
    try:
        return msgspec.convert(value, annotation)
    except msgspec.ValidationError as error:
        problems = field_problems(value, annotation, error)
        raise invalid([{**p, "message": explain(p["message"], p["key"])} for p in problems]) from None


# --- text ------------------------------------------------------------------------------------------

#: Bidi embeddings, overrides (U+202A to U+202E) and isolates (U+2066 to U+2069): removed wherever they are.
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
#: Characters that show nothing although they are not whitespace (besides the format characters, Cf).
BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_KEPT_CONTROLS = frozenset("\t\n\r")
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")


def _invisible(char: str) -> bool:
    # Tag characters (Cf, U+E0000 to U+E007F) end flag emoji such as Scotland's, so they are not invisible.
    category = unicodedata.category(char)
    return char.isspace() or char in BLANKS or (category == "Cf" and not 0xE0000 <= ord(char) <= 0xE007F)


def clean_text(value: str, *, field: str, what: str) -> str:
    """``value`` without bidi controls and without invisible characters at its ends; Invalid (naming
    ``field``, and ``what`` in the sentence) when it holds a character that cannot be stored or shown.

    A text of only invisible characters comes back empty, so "is it blank?" is the caller's usual check.
    Line ends are ``\n`` (a browser's form sends ``\r\n``), so no stored text holds ``\r``.
    Joiners inside the text stay: emoji sequences and Persian or Indic words need them.
    """
    for char in value:
        category = unicodedata.category(char)
        if (category == "Cc" and char not in _KEPT_CONTROLS) or category == "Cs":
            kind = "control character" if category == "Cc" else "invalid character"
            name = "a NUL byte" if char == "\x00" else f"the {kind} U+{ord(char):04X}"
            raise Invalid(
                f"{what} contains {name}, which cannot be saved; remove it and try again.", field=field
            )
    text = _BIDI.sub("", value).replace("\r\n", "\n").replace("\r", "\n")  # one kind of line end
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]
