"""The announcement's calendar links work for anyone who clicks them in Discord: signed per game, no login,
and what they give reads as names (#board-games, @Erin the Bold), not Discord's markup."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import icalendar

from gamesched.app import App
from tests.bot.conftest import Login, announcement, field, schedule
from tests.world import World


def _links(message: dict[str, Any]) -> dict[str, str]:
    value = field(message, "Add to calendar")["value"]  # type: ignore[index]
    return dict(re.findall(r"\[([^\]]+)\]\((\S+)\)", value))


async def test_the_announcements_calendar_links_work_without_login_and_read_as_names(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, location="#board-games", description="Bring snacks.")
    links = _links(await announcement(api, game))
    assert set(links) == {"Google Calendar", "Download .ics"}

    async with httpx.AsyncClient() as stranger:  # not logged in: as most people clicking in Discord
        response = await stranger.get(links["Download .ics"])
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/calendar; charset=utf-8"
        assert "attachment" in response.headers["content-disposition"]
        calendar = icalendar.Calendar.from_ical(response.content)
        [event] = calendar.walk("VEVENT")
        assert str(event["LOCATION"]) == "#board-games"
        assert str(event["SUMMARY"]) == "Catan night"
        assert "<#" not in response.text

        google = await stranger.get(links["Google Calendar"])
        assert google.status_code == 302
        target = urlsplit(google.headers["location"])
        assert target.netloc == "calendar.google.com"
        assert parse_qs(target.query)["location"] == ["#board-games"]

        # The signature is the key: the game's id alone, or another game's signature, opens nothing.
        ics = links["Download .ics"]
        assert (await stranger.get(ics[: -len(ics.rsplit("/", 1)[1])] + "x" * 22)).status_code == 404
        other = await schedule(login, world, title="Other night")
        signature = ics.rsplit("/", 1)[1]
        assert (
            await stranger.get(f"{bot_app.base_url}/calendar/{other['id']}/{signature}")
        ).status_code == 404


async def test_the_logged_in_calendar_file_states_its_charset_once_and_resolves_the_channel(
    bot_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    game = await schedule(login, world, location="#board-games")
    response = await alice.get(f"/api/v1/games/{game['id']}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    [event] = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["LOCATION"]) == "#board-games"
