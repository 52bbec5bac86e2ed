"""Issue 13's page defects over HTTP: who may join and why not, the 404 header, calendar offers."""

from __future__ import annotations

import httpx

from gamesched.app import App
from tests.games.conftest import create_game
from tests.web.conftest import Login, csrf_form
from tests.world import World

ONLY_PLAYERS = "Only @Player members can join."


async def test_a_member_without_the_player_role_is_told_which_roles_may_join_instead_of_a_join_button(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    game = await create_game(alice, world, player_role_ids=[str(world.role_id("Player"))])
    frank = await login("frank")  # no roles

    shown = await frank.get(f"/games/{game['id']}")
    assert shown.status_code == 200
    assert ONLY_PLAYERS in shown.text
    assert f'action="/games/{game["id"]}/join"' not in shown.text
    panel = await frank.get(f"/games/{game['id']}/panel", headers={"hx-request": "true"})
    assert ONLY_PLAYERS in panel.text and "/join" not in panel.text

    # Posted anyway (a stale page): the same sentence, as a page and from the API.
    posted = await frank.post(f"/games/{game['id']}/join", data=await csrf_form(frank, {}))
    assert posted.status_code == 403 and ONLY_PLAYERS in posted.text
    api = await frank.post(f"/api/v1/games/{game['id']}/join", headers={"accept": "application/json"})
    assert api.status_code == 403 and api.json()["message"] == ONLY_PLAYERS

    dave = await login("dave")  # a Player
    offered = await dave.get(f"/games/{game['id']}")
    assert f'action="/games/{game["id"]}/join"' in offered.text and "Only @" not in offered.text


async def test_several_player_roles_are_all_named(world: World, login: Login) -> None:
    alice = await login("alice")
    roles = [str(world.role_id("Player")), str(world.role_id("Moderator"))]
    game = await create_game(alice, world, player_role_ids=roles)
    page = await (await login("frank")).get(f"/games/{game['id']}")
    assert "Only @Player or @Moderator members can join." in page.text


async def test_a_host_selected_game_says_the_host_picks_the_players(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world, signup_method="host_selected")
    page = await (await login("dave")).get(f"/games/{game['id']}")
    assert "This game does not take sign-ups: the host picks the players." in page.text


async def test_an_unknown_address_is_a_404_page_with_the_logged_in_header(web_app: App, login: Login) -> None:
    alice = await login("alice")
    for path in ("/no/such/page", "/games", "/guilds/1/no/such/thing"):
        for method in ("GET", "POST"):
            data = await csrf_form(alice, {}) if method == "POST" else None
            page = await alice.request(method, path, data=data)
            assert page.status_code == 404, (method, path)
            assert "Not found" in page.text, (method, path)
            header = page.text.split("</header>")[0]
            assert "Alice Anders" in header and "Log out" in header, (method, path)
    api = await alice.get("/api/v1/no/such/thing", headers={"accept": "application/json"})
    assert api.status_code == 404 and api.json()["message"] == "There is nothing here."
    async with httpx.AsyncClient(base_url=web_app.base_url, headers={"accept": "text/html"}) as stranger:
        nobody = await stranger.get("/no/such/page")
        assert nobody.status_code == 404 and "Not found" in nobody.text  # no detour to the login page


async def test_cancelled_and_finished_games_offer_no_calendar(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world)
    assert "Add to calendar" in (await alice.get(f"/games/{game['id']}")).text
    cancelled = await alice.post(f"/games/{game['id']}/cancel", data=await csrf_form(alice, {}))
    assert cancelled.status_code == 303
    page = await alice.get(f"/games/{game['id']}")
    assert "This game was cancelled." in page.text
    assert "Add to calendar" not in page.text and "Google Calendar" not in page.text


async def test_the_pages_google_calendar_link_names_the_channel_instead_of_its_markup(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    channel = world.channel_id("board-games")
    game = await create_game(alice, world, location=f"Voice in <#{channel}>")
    page = (await alice.get(f"/games/{game['id']}")).text
    link = page.split('id="calendar-google"')[0].rsplit("<a ", 1)[1]
    assert "location=Voice%20in%20%23board-games" in link
    assert str(channel) not in link
