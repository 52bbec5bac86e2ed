"""Settings inheritance in one place, with sources. Most specific first:

- max players, reminders, signup instructions: game → template → channel → guild → built-in default (the
  template pre-fills the game's form: the host may change them; the template beats the channel it picks);
- player roles: template (locked: the game cannot change them) → game → channel → guild;
- host roles: channel → guild (a template with its own host roles replaces them for games made from it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")
Source = Literal["game", "template", "channel", "guild", "default"]

DEFAULT_MAX_PLAYERS = 10
DEFAULT_REMINDER_MINUTES: tuple[int, ...] = (60, 15)
DEFAULT_SIGNUP_INSTRUCTIONS = ""

#: Which levels may set each inheritable value, most specific first. Host roles stop at the channel.
LEVELS: dict[str, tuple[Source, ...]] = {
    "max_players": ("game", "template", "channel", "guild"),
    "reminder_minutes": ("game", "template", "channel", "guild"),
    "signup_instructions": ("game", "template", "channel", "guild"),
    "player_role_ids": ("template", "game", "channel", "guild"),
    "host_role_ids": ("channel", "guild"),
}
DEFAULTS: dict[str, Any] = {
    "max_players": DEFAULT_MAX_PLAYERS,
    "reminder_minutes": DEFAULT_REMINDER_MINUTES,
    "signup_instructions": DEFAULT_SIGNUP_INSTRUCTIONS,
    "player_role_ids": (),
    "host_role_ids": (),
}


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    value: T
    source: Source


@dataclass(frozen=True, slots=True)
class EffectiveSettings:
    max_players: Setting[int]
    reminder_minutes: Setting[tuple[int, ...]]
    signup_instructions: Setting[str]
    player_role_ids: Setting[tuple[int, ...]]
    host_role_ids: Setting[tuple[int, ...]]

    def sources(self) -> dict[str, Source]:
        return {name: getattr(self, name).source for name in LEVELS}

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name).value for name in LEVELS}


def resolve_settings(
    *,
    guild: Mapping[str, Any] | None = None,
    channel: Mapping[str, Any] | None = None,
    game: Mapping[str, Any] | None = None,
    template: Mapping[str, Any] | None = None,
) -> EffectiveSettings:
    """Each value comes from the most specific level that sets it (None means "not set, inherit")."""
    levels: dict[Source, Mapping[str, Any]] = {
        "game": game or {},
        "template": template or {},
        "channel": channel or {},
        "guild": guild or {},
    }
    resolved: dict[str, Setting[Any]] = {}
    for name, allowed in LEVELS.items():
        resolved[name] = Setting(_normalize(name, DEFAULTS[name]), "default")
        for level in allowed:
            value = levels[level].get(name)
            if value is not None:
                resolved[name] = Setting(_normalize(name, value), level)
                break
    return EffectiveSettings(**resolved)


def _normalize(name: str, value: Any) -> Any:
    if name == "reminder_minutes":
        return tuple(sorted({int(m) for m in value}, reverse=True))
    if name.endswith("_role_ids"):
        return tuple(int(r) for r in value)
    return value
