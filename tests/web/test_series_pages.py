"""The series page's forms: skip one game, move one, edit the whole series, with sentences for mistakes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from gamesched.app import App
from tests.web.conftest import Login, csrf_form
from tests.web.test_cross_guild_routes import start_series
from tests.world import World

BERLIN = ZoneInfo("Europe/Berlin")


async def test_skip_and_move_from_the_series_page(web_app: App, world: World, login: Login) -> None:
    alice = await login("alice")
    series = await start_series(
        alice, str(world.guild_id()), str(world.channel_id("board-games")), "Page series"
    )
    first, second = series["upcoming"][0], series["upcoming"][1]
    page = f"/series/{series['id']}"

    skipped = await alice.post(
        f"{page}/skip", data=await csrf_form(alice, {"occurrence": second["recurrence_id"]})
    )
    assert skipped.status_code == 303
    shown = (await alice.get(skipped.headers["location"])).text
    assert "That game is skipped." in shown and "Skipped" in shown

    made_at = datetime.fromisoformat(first["scheduled_at"]).astimezone(BERLIN)
    # Another hour than the game's own, which is this hour of the day two days on (start_series).
    later = made_at.replace(hour=21 if made_at.hour != 21 else 22)
    moved = await alice.post(
        f"{page}/move",
        data=await csrf_form(
            alice,
            {"occurrence": first["recurrence_id"], "when": later.strftime("%Y-%m-%d %H:%M Europe/Berlin")},
        ),
    )
    assert moved.status_code == 303, moved.text
    game = (await alice.get(f"/api/v1/games/{first['game_id']}")).json()
    assert datetime.fromisoformat(game["scheduled_at"]) == later.astimezone(UTC)
    assert "(moved)" in (await alice.get(page)).text
    assert (
        f'href="{page}"' in (await alice.get(f"/games/{first['game_id']}")).text
    )  # the game links its series


async def test_a_bad_time_on_the_series_edit_form_is_said_and_the_form_kept(
    web_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    series = await start_series(
        alice, str(world.guild_id()), str(world.channel_id("board-games")), "Page series"
    )
    refused = await alice.post(
        f"/series/{series['id']}/edit",
        data=await csrf_form(alice, {"title": "Renamed series", "time": "7 pm-ish", "repeat_lead_days": "3"}),
    )
    assert refused.status_code == 422
    assert "Write the time like 19:00." in refused.text
    assert 'value="Renamed series"' in refused.text
    saved = await alice.post(
        f"/series/{series['id']}/edit",
        data=await csrf_form(
            alice,
            {
                "title": "Renamed series",
                "time": "20:00",
                "repeat": "weekly",
                "repeat_weekdays": ["MO", "TH"],
                "repeat_lead_days": "3",
            },
        ),
    )
    assert saved.status_code == 303, saved.text
    view = (await alice.get(f"/api/v1/series/{series['id']}")).json()
    assert view["title"] == "Renamed series"
    assert view["summary"] == "Every week on Monday and Thursday at 20:00"


async def test_a_repeat_ending_before_it_starts_is_said_on_the_create_form(
    web_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    refused = await alice.post(
        "/games/new",
        data=await csrf_form(
            alice,
            {
                "guild_id": str(world.guild_id()),
                "channel_id": str(world.channel_id("board-games")),
                "title": "Never played",
                "when": "2031-03-04 19:00",
                "repeat": "weekly",
                "repeat_until": "2031-03-01",
                "repeat_lead_days": "3",
            },
        ),
    )
    assert refused.status_code == 422
    assert "The series ends before it starts: pick an end after the first game." in refused.text
    assert 'value="Never played"' in refused.text
