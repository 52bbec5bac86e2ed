"""Turning "@name" / "<@id>" / placeholder text into roster entries, and the pinned 422 when some fail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gamesched.core.errors import Invalid
from gamesched.core.inputs import clean_text


@dataclass(frozen=True, slots=True)
class Entry:
    """One resolved roster entry: a member id or a placeholder text."""

    user_id: int | None
    placeholder: str | None


def invalid_mentions(
    resolution: Any,
    inputs: Sequence[str],
    *,
    form_data: Mapping[str, Any],
    field: str = "initial_participants",
) -> Invalid:
    """The error for unresolved mentions: each bad input with why and up to 5 suggestions, plus the form."""
    bad = {item.input for item in resolution.invalid}
    count = len(resolution.invalid)
    message = f"{count} mention{'s' if count != 1 else ''} could not be matched to exactly one member of this server."
    return Invalid(
        message,
        field=field,
        code="invalid_mentions",
        invalid_mentions=[
            {
                "input": item.input,
                "reason": item.reason,
                "suggestions": [
                    {
                        "discord_id": str(member.user_id),
                        "username": member.username,
                        "display_name": member.display_name,
                    }
                    for member in list(item.suggestions)[:5]
                ],
            }
            for item in resolution.invalid
        ],
        valid_participants=[text for text in inputs if text not in bad],
        form_data=dict(form_data),
    )


def _shown(text: str) -> str:
    """An entry as a sentence can quote it: without the characters that make it unsafe to show."""
    return "".join(c if c.isprintable() else "\ufffd" for c in text.strip())[:40]


async def resolve_entries(
    guilds: Any,
    guild_id: int,
    inputs: Sequence[str],
    *,
    form_data: Mapping[str, Any],
    field: str = "initial_participants",
) -> list[Entry]:
    """Resolve every input or fail as a whole; duplicate members and blank lines are dropped."""
    texts = [clean_text(text, field=field, what=f"“{_shown(text)}”") for text in inputs]
    cleaned = [text for text in texts if text]
    if not cleaned:
        return []
    resolution = await guilds.resolve_mentions(guild_id, cleaned)
    if resolution.invalid:
        raise invalid_mentions(resolution, cleaned, form_data=form_data, field=field)
    seen: set[int] = set()
    entries: list[Entry] = []
    for item in resolution.entries:
        if item.user_id is not None:
            if item.user_id in seen:
                continue
            seen.add(item.user_id)
            entries.append(Entry(user_id=item.user_id, placeholder=None))
        elif item.placeholder:
            entries.append(Entry(user_id=None, placeholder=item.placeholder))
    return entries
