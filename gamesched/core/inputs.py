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
from typing import Annotated

from msgspec import Meta

from gamesched.core.errors import Invalid

SNOWFLAKE_MIN = 1
SNOWFLAKE_MAX = 2**63 - 1
SNOWFLAKE_EXAMPLE = "1300000000000000001"
SNOWFLAKE_DESCRIPTION = f"A Discord id (snowflake), as a string: a whole number from 1 to {SNOWFLAKE_MAX}."
#: Said instead of msgspec's "Expected `str` matching regex '…'" and "Expected `int` <= …".
SNOWFLAKE_PROBLEM = f"Expected a Discord id: a whole number from 1 to {SNOWFLAKE_MAX}"


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


def readable(message: str) -> str:
    """A msgspec validation message with the id rules in words rather than as a regex or a bound."""
    if SNOWFLAKE_PATTERN in message or f"<= {SNOWFLAKE_MAX}" in message:
        return SNOWFLAKE_PROBLEM
    return message


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
    text = _BIDI.sub("", value)
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]
