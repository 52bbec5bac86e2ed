"""Settings inheritance, table-driven: guild defaults → channel overrides → game overrides."""

from __future__ import annotations

from typing import Any

import pytest

from gamesched.guilds.settings import DEFAULT_MAX_PLAYERS, DEFAULT_REMINDER_MINUTES, resolve_settings

CASES: list[
    tuple[str, dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None, str, Any, str]
] = [
    # id, guild, channel, game, setting, expected value, expected source
    ("nothing set uses built-in default", None, None, None, "max_players", DEFAULT_MAX_PLAYERS, "default"),
    ("guild default applies", {"max_players": 6}, None, None, "max_players", 6, "guild"),
    ("channel overrides guild", {"max_players": 6}, {"max_players": 4}, None, "max_players", 4, "channel"),
    (
        "game overrides channel",
        {"max_players": 6},
        {"max_players": 4},
        {"max_players": 8},
        "max_players",
        8,
        "game",
    ),
    (
        "None at channel inherits guild",
        {"max_players": 6},
        {"max_players": None},
        None,
        "max_players",
        6,
        "guild",
    ),
    (
        "game None inherits channel",
        None,
        {"max_players": 3},
        {"max_players": None},
        "max_players",
        3,
        "channel",
    ),
    ("reminders default", None, None, None, "reminder_minutes", DEFAULT_REMINDER_MINUTES, "default"),
    (
        "reminders sorted, deduplicated",
        {"reminder_minutes": [15, 60, 15]},
        None,
        None,
        "reminder_minutes",
        (60, 15),
        "guild",
    ),
    (
        "empty reminder list at game means no reminders",
        {"reminder_minutes": [60]},
        None,
        {"reminder_minutes": []},
        "reminder_minutes",
        (),
        "game",
    ),
    (
        "rules from channel",
        {"signup_instructions": "Be kind"},
        {"signup_instructions": "Bring dice"},
        None,
        "signup_instructions",
        "Bring dice",
        "channel",
    ),
    (
        "empty rules at game override",
        {"signup_instructions": "Be kind"},
        None,
        {"signup_instructions": ""},
        "signup_instructions",
        "",
        "game",
    ),
    (
        "host roles stop at channel: game value ignored",
        {"host_role_ids": [1]},
        {"host_role_ids": [2]},
        {"host_role_ids": [3]},
        "host_role_ids",
        (2,),
        "channel",
    ),
    ("host roles from guild", {"host_role_ids": [1, 5]}, None, None, "host_role_ids", (1, 5), "guild"),
    (
        "channel clears host roles to managers only",
        {"host_role_ids": [1]},
        {"host_role_ids": []},
        None,
        "host_role_ids",
        (),
        "channel",
    ),
    (
        "player roles from game",
        {"player_role_ids": [1]},
        None,
        {"player_role_ids": [9]},
        "player_role_ids",
        (9,),
        "game",
    ),
]


@pytest.mark.parametrize(
    ("guild", "channel", "game", "name", "value", "source"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_resolution(
    guild: dict[str, Any] | None,
    channel: dict[str, Any] | None,
    game: dict[str, Any] | None,
    name: str,
    value: Any,
    source: str,
) -> None:
    setting = getattr(resolve_settings(guild=guild, channel=channel, game=game), name)
    assert (setting.value, setting.source) == (value, source)


def test_sources_report_every_inherited_setting() -> None:
    effective = resolve_settings(guild={"max_players": 5}, channel={"reminder_minutes": [30]})
    assert effective.sources() == {
        "max_players": "guild",
        "reminder_minutes": "channel",
        "signup_instructions": "default",
        "player_role_ids": "default",
        "host_role_ids": "default",
    }
