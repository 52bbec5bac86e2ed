"""The announcement and the bot's input parsing, without Discord: limits, states, time entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from discord_sandbox import validate_message
from gamesched.core.errors import Invalid
from gamesched.games.announcement import EMBED_TOTAL, embed_size, render_announcement
from gamesched.games.cog import parse_when
from gamesched.games.schemas import GameView, ParticipantView, Person
from gamesched.games.views import announcement_components
from gamesched.guilds.cog import parse_reminders

BASE = "https://games.example.org"
WHEN = datetime(2030, 1, 5, 19, 0, tzinfo=UTC)
GUILD = "900000000000000000"


def _participants(count: int, max_players: int, *, placeholders: int = 0) -> list[ParticipantView]:
    people = []
    for index in range(count):
        confirmed = index < max_players
        is_placeholder = index < placeholders
        people.append(
            ParticipantView(
                id=f"p{index}",
                discord_id=None if is_placeholder else str(1_100_000_000_000_000_000 + index),
                display_name="Reserved *guest*" if is_placeholder else f"Player {index}",
                avatar_url=None,
                status="confirmed" if confirmed else "waitlisted",
                position=index + 1 if confirmed else index - max_players + 1,
                pre_populated=is_placeholder,
                is_placeholder=is_placeholder,
                joined_at=WHEN,
            )
        )
    return people


def game(**overrides: Any) -> GameView:
    max_players = overrides.pop("max_players", 6)
    people = overrides.pop("participants", _participants(0, max_players))
    fields: dict[str, Any] = {
        "id": "3f1c2d4e-0000-4000-8000-000000000001",
        "guild_id": GUILD,
        "channel_id": "900000000000000001",
        "channel_name": "board-games",
        "host": Person(discord_id="900000000000000002", display_name="Alice"),
        "title": "Catan night",
        "description": "Bring snacks.",
        "scheduled_at": WHEN,
        "duration_minutes": 90,
        "max_players": max_players,
        "reminder_minutes": [60],
        "signup_instructions": "",
        "location": "",
        "status": "scheduled",
        "message_id": None,
        "participants": people,
        "confirmed_count": sum(p.status == "confirmed" for p in people),
        "waitlist_count": sum(p.status == "waitlisted" for p in people),
        "created_at": WHEN - timedelta(days=1),
        "updated_at": WHEN - timedelta(days=1),
        "cancelled_at": None,
        "signup_method": "self_signup",
        "settings_sources": {},
        "player_role_ids": [],
        "priority_role_ids": [],
        "notify_role_ids": [],
        "version": 1,
        "can_manage": False,
    }
    fields.update(overrides)
    return GameView(**fields)


def _payload(view: GameView) -> dict[str, Any]:
    ics = f"{BASE}/calendar/{view.id}/{'t' * 22}"
    announced = render_announcement(view, base_url=BASE, calendar=(ics, f"{ics}/google"))
    return {
        "content": announced.content,
        "embeds": [announced.embed],
        "components": announcement_components(announced.buttons),
    }


def _values(payload: dict[str, Any], prefix: str) -> str:
    fields = payload["embeds"][0]["fields"]
    start = next(i for i, f in enumerate(fields) if f["name"].startswith(prefix))
    taken = [fields[start]] + [f for f in fields[start + 1 : start + 3] if f["name"] == "\u200b"]
    return "\n".join(f["value"] for f in taken)


def test_a_small_game_lists_players_and_open_seats() -> None:
    payload = _payload(game(max_players=4, participants=_participants(2, 4, placeholders=1)))
    validate_message(payload)
    assert _values(payload, "Players (2/4)").split("\n") == [
        "1. Reserved \\*guest\\*",
        "2. <@1100000000000000001>",
        "3. *open seat*",
        "4. *open seat*",
    ]
    assert payload["content"] is None


def test_a_hundred_players_and_a_long_waitlist_stay_inside_discords_limits() -> None:
    view = game(
        max_players=100,
        participants=_participants(400, 100),
        description="x" * 2000,
        signup_instructions="y" * 1000,
        location="z" * 500,
        title="t" * 200,
    )
    payload = _payload(view)

    validate_message(payload)  # the sandbox's copy of Discord's rules
    embed = payload["embeds"][0]
    assert embed_size(embed) <= EMBED_TOTAL
    players = _values(payload, "Players (100/100)")
    waitlist = _values(payload, "Waitlist (300)")
    assert f"]({BASE}/games/{view.id})" in waitlist and "… and " in waitlist
    shown = players.count("<@") + waitlist.count("<@")
    more = sum(
        int(line.split("and ")[1].split(" more")[0])
        for line in (players + "\n" + waitlist).split("\n")
        if "… and" in line
    )
    assert shown + more == 400


def test_many_open_seats_are_summarised_on_one_line() -> None:
    payload = _payload(game(max_players=100, participants=_participants(3, 100)))
    assert _values(payload, "Players (3/100)").split("\n")[-1] == "4-100. *97 open seats*"


@pytest.mark.parametrize(
    ("status", "colour", "footer"),
    [
        ("scheduled", 0x2ECC71, "Status: Scheduled"),
        ("in_progress", 0x3498DB, "Status: In progress"),
        ("completed", 0xF1C40F, "Status: Completed"),
        ("cancelled", 0xE74C3C, "Status: Cancelled"),
    ],
)
def test_status_shows_in_colour_footer_and_buttons(status: str, colour: int, footer: str) -> None:
    payload = _payload(game(status=status))
    embed = payload["embeds"][0]
    assert (embed["color"], embed["footer"]["text"]) == (colour, footer)
    join, leave, details = payload["components"][0]["components"]
    assert join["disabled"] is leave["disabled"] is (status != "scheduled")
    assert details["url"] == f"{BASE}/games/{game().id}"


def test_notify_roles_are_pinged_above_the_embed_and_host_selected_games_take_no_joins() -> None:
    announced = render_announcement(
        game(notify_role_ids=["42", GUILD], signup_method="host_selected"), base_url=BASE
    )
    assert announced.content == "<@&42> @everyone"
    assert announced.role_ids == [42] and announced.mentions_everyone
    join, leave, _ = announcement_components(announced.buttons)[0]["components"]
    assert join["disabled"] and not leave["disabled"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-05 19:30", datetime(2026, 12, 5, 19, 30, tzinfo=UTC)),
        ("2026-12-05T19:30", datetime(2026, 12, 5, 19, 30, tzinfo=UTC)),
        ("2026-12-05T19:30:00Z", datetime(2026, 12, 5, 19, 30, tzinfo=UTC)),
        ("2026-12-05T19:30+02:00", datetime(2026, 12, 5, 17, 30, tzinfo=UTC)),
        ("  2026-12-05   7:30 pm ", datetime(2026, 12, 5, 19, 30, tzinfo=UTC)),
        ("2026-12-05 19:30 UTC", datetime(2026, 12, 5, 19, 30, tzinfo=UTC)),
        ("2026-07-05 19:30 Europe/Berlin", datetime(2026, 7, 5, 17, 30, tzinfo=UTC)),
    ],
)
def test_times_are_read_in_the_forms_people_type(text: str, expected: datetime) -> None:
    assert parse_when(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow 8pm", datetime(2026, 11, 29, 20, 0, tzinfo=UTC)),
        ("Dec 5 19:30", datetime(2026, 12, 5, 19, 30, tzinfo=UTC)),
        ("31/12/2026 20:00", datetime(2026, 12, 31, 20, 0, tzinfo=UTC)),
        ("05/12/2026 7pm", datetime(2026, 12, 5, 19, 0, tzinfo=UTC)),  # day first
        ("next friday 7pm", datetime(2026, 12, 4, 19, 0, tzinfo=UTC)),
        ("in 3 hours", datetime(2026, 11, 28, 13, 0, tzinfo=UTC)),
        ("tomorrow 8pm Europe/Berlin", datetime(2026, 11, 29, 19, 0, tzinfo=UTC)),
    ],
)
def test_natural_dates_are_read_relative_to_now_in_utc(text: str, expected: datetime) -> None:
    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # a Saturday

    assert parse_when(text, now=now) == expected


def test_a_day_without_a_time_asks_for_the_time() -> None:
    with pytest.raises(Invalid) as caught:
        parse_when("tomorrow", now=datetime(2026, 11, 28, 10, 0, tzinfo=UTC))
    assert (
        caught.value.message
        == "'tomorrow' names a day but no time. Add the time the game starts, like tomorrow 19:30."
    )


def test_a_time_zone_can_be_the_default() -> None:
    assert parse_when("2026-12-05 19:30", zone=ZoneInfo("America/New_York")) == datetime(
        2026, 12, 6, 0, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "text",
    [
        "tomorrow",
        "2026-12-05",
        "friday",
        "31/02/2026 20:00",
        "next friday-ish",
        "",
        "2026-12-05 19:30 Mars/Olympus",
    ],
)
def test_unreadable_times_get_a_clear_sentence(text: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_when(text)
    assert caught.value.field == "scheduled_at"
    assert caught.value.message.endswith(".")


def test_reminders_are_minutes_separated_by_commas() -> None:
    assert parse_reminders("60, 15") == [60, 15]
    assert parse_reminders("none") is None
    with pytest.raises(Invalid):
        parse_reminders("soon")
