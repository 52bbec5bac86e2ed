"""What people type into the dashboard's forms and filters, and the sentences they get back (issue 13)."""

from __future__ import annotations

import html
from urllib.parse import parse_qs, urlsplit

import httpx

from gamesched.app import App
from tests.games.conftest import game_body
from tests.login import _log_in
from tests.web.conftest import Login, csrf_form
from tests.web.test_pages import create_game, in_days, new_game_form
from tests.world import World

JSON = {"accept": "application/json"}


async def test_the_server_games_filter_with_its_default_values_lists_the_games(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    page = await alice.get(f"/guilds/{world.guild_id()}?channel=&status=upcoming&category=")
    assert page.status_code == 200, page.text[:500]


def text_of(page: httpx.Response) -> str:
    return html.unescape(page.text)


def leaks_validator_text(text: str) -> bool:
    return any(mark in text for mark in ("Expected `", "Expected str", "Expected int", "$.", "got `str`"))


async def test_api_422_lists_every_field_in_sentences_and_keeps_the_field_names(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    body = game_body(world, title="x" * 201, channel_id="", max_players="5", remind_waitlist=0, colour=1)
    response = await alice.post("/api/v1/games", json=body, headers=JSON)
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["error"] == "invalid" and answer["field"] == "channel_id"
    by_field = {e["field"]: e["message"] for e in answer["errors"]}
    assert by_field == {
        "channel_id": f"The channel must be a Discord id: a whole number from 1 to {2**63 - 1}.",
        "title": "The title can have at most 200 characters.",
        "max_players": "Max players must be a whole number.",
        "remind_waitlist": "“Remind the waitlist” must be true or false.",
        "colour": "'colour' is not something this form takes; leave it out.",
    }
    assert all(sentence in answer["message"] for sentence in by_field.values())
    assert not leaks_validator_text(response.text)
    listed = await alice.get("/api/v1/games", params={"guild_id": "abc"}, headers=JSON)
    assert listed.status_code == 422 and listed.json()["field"] == "guild_id"
    assert listed.json()["message"] == "The server must be a whole number.", listed.text


async def test_validator_text_never_reaches_a_page(world: World, login: Login) -> None:
    alice = await login("alice")
    filtered = await alice.get(f"/guilds/{world.guild_id()}?channel=abc")
    assert filtered.status_code == 422
    assert "The channel must be a whole number." in text_of(filtered)
    assert not leaks_validator_text(text_of(filtered))
    long_name = "Reserved for " + "a" * 90
    created = await alice.post(
        "/games/new", data=await csrf_form(alice, new_game_form(world, initial_participants=long_name))
    )
    assert created.status_code == 422
    assert "Each of the players to add can have at most 100 characters." in text_of(created)
    assert not leaks_validator_text(text_of(created))


async def test_one_submit_of_the_create_form_reports_every_problem(world: World, login: Login) -> None:
    alice = await login("alice")
    form = new_game_form(
        world, title="", scheduled_at=in_days(-1), initial_participants="@carol\n@bo", description="x" * 2001
    )
    page = await alice.post("/games/new", data=await csrf_form(alice, form))
    assert page.status_code == 422
    shown = text_of(page)
    for sentence in (
        "Give the game a title.",
        "Keep it to at most 2000 characters (this has 2001).",
        "The game must be scheduled in the future.",
        "No member of this server is called @bo",
    ):
        assert sentence in shown, sentence
    assert 'id="scheduled_at-error"' in shown and 'id="initial_participants-error"' in shown


async def test_api_create_and_edit_report_the_date_and_the_mentions_and_the_roles_together(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    created = await alice.post(
        "/api/v1/games",
        json=game_body(world, scheduled_at=in_days(-1), initial_participants=["@bo"], notify_role_ids=["42"]),
        headers=JSON,
    )
    assert created.status_code == 422, created.text
    answer = created.json()
    assert answer["error"] == "invalid_mentions" and answer["invalid_mentions"][0]["input"] == "@bo"
    assert {e["field"] for e in answer["errors"]} == {
        "scheduled_at",
        "initial_participants",
        "notify_role_ids",
    }
    assert "The game must be scheduled in the future." in answer["message"]
    game = (await alice.post("/api/v1/games", json=game_body(world), headers=JSON)).json()
    edited = await alice.patch(
        f"/api/v1/games/{game['id']}",
        json={"scheduled_at": in_days(-1), "player_role_ids": ["42"], "title": " "},
        headers=JSON,
    )
    assert edited.status_code == 422, edited.text
    assert {e["field"] for e in edited.json()["errors"]} == {"scheduled_at", "player_role_ids", "title"}


async def test_stored_text_has_one_kind_of_line_end(world: World, login: Login) -> None:
    alice = await login("alice")
    game_id = await create_game(
        alice, world, description="Bring dice.\r\nAnd snacks.\rThanks", signup_instructions="One\r\ntwo"
    )
    game = (await alice.get(f"/api/v1/games/{game_id}", headers=JSON)).json()
    assert game["description"] == "Bring dice.\nAnd snacks.\nThanks"
    assert game["signup_instructions"] == "One\ntwo"


async def test_a_length_limit_allows_exactly_the_limit_and_says_so(world: World, login: Login) -> None:
    alice = await login("alice")
    assert await create_game(alice, world, title="x" * 200)
    page = await alice.post("/games/new", data=await csrf_form(alice, new_game_form(world, title="x" * 201)))
    assert page.status_code == 422
    assert "Keep it to at most 200 characters (this has 201)." in text_of(page)


async def test_the_edit_page_says_what_the_game_has_and_what_it_would_inherit(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    own = await create_game(alice, world, max_players="8", signup_instructions="Bring dice")
    shown = text_of(await alice.get(f"/games/{own}/edit"))
    assert "Set for this game: 8. Leave it empty to inherit 10 (built-in default)." in shown
    assert (
        "Set for this game. Leave it empty to inherit nothing (none are set for this channel or server)."
        in shown
    )
    assert "Inherited: 10" not in shown and "shown greyed out" not in shown
    inheriting = await create_game(alice, world)
    settings = f"/api/v1/guilds/{world.guild_id()}/settings"
    changed = await alice.patch(
        settings, json={"max_players": 6, "signup_instructions": "Be kind"}, headers=JSON
    )
    assert changed.status_code == 200, changed.text
    shown = text_of(await alice.get(f"/games/{inheriting}/edit"))
    assert "Inherited: 6 (from the server settings); this game still has 10 until it is saved." in shown
    assert "Inherited (from the server settings): the text shown greyed out." in shown
    shown = text_of(await alice.get(f"/games/{own}/edit"))
    assert "Set for this game: 8. Leave it empty to inherit 6 (from the server settings)." in shown
    assert "Leave it empty to inherit “Be kind” (from the server settings)." in shown


async def test_the_bots_own_role_and_everyone_are_not_offered_or_taken_as_roles(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    gid, bot_role = world.guild_id(), world.role_id("gamesched")
    for path in (f"/guilds/{gid}/settings", f"/guilds/{gid}/channels/{world.channel_id('rpg')}/settings"):
        page = await alice.get(path)
        assert page.status_code == 200 and f'value="{world.role_id("Game Host")}"' in page.text
        assert f'value="{bot_role}"' not in page.text and f'value="{gid}"' not in page.text, path
    form = await alice.get(f"/games/new?guild_id={gid}")
    assert f'value="{bot_role}"' not in form.text
    saved = await alice.post(
        f"/guilds/{gid}/settings", data=await csrf_form(alice, {"host_role_ids": str(bot_role)})
    )
    assert saved.status_code == 422
    assert "Host roles: @gamesched belongs to an integration (such as this bot)" in text_of(saved)
    for field, role in (("manager_role_ids", bot_role), ("player_role_ids", gid)):
        patched = await alice.patch(f"/api/v1/guilds/{gid}/settings", json={field: [str(role)]}, headers=JSON)
        assert patched.status_code == 422 and patched.json()["field"] == field, patched.text
    everyone = await alice.patch(
        f"/api/v1/guilds/{gid}/settings", json={"player_role_ids": [str(gid)]}, headers=JSON
    )
    assert (
        everyone.json()["message"]
        == "Player roles: @everyone is every member; leave the roles empty instead."
    )


async def test_an_edit_sent_after_the_session_ended_comes_back_after_the_login(
    web_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    game_id = await create_game(alice, world, title="Before")
    form = await csrf_form(alice, new_game_form(world, title="After the login", version="1"))
    async with httpx.AsyncClient(base_url=web_app.base_url, cookies=alice.cookies) as elsewhere:
        ended = await elsewhere.post("/logout", data={"_csrf_token": alice.cookies["csrftoken"]})
        assert ended.status_code == 303
    sent = await alice.post(f"/games/{game_id}/edit", data=form)
    assert sent.status_code == 303
    login_page = sent.headers["location"]
    assert login_page.startswith("/login?next=%2Fgames%2F" + game_id + "%2Fedit%3Fdraft%3D")
    assert "your changes are still here" in text_of(await alice.get(login_page))
    back = parse_qs(urlsplit(login_page).query)["next"][0]
    await _log_in(alice, "alice", back, web_app.base_url)
    page = text_of(await alice.get(back))
    assert 'value="After the login"' in page and "Your changes are below, as you typed them" in page
    again = text_of(await alice.get(back))
    assert 'value="Before"' in again  # a draft is taken once


async def test_a_body_that_is_no_json_object_gets_a_sentence(world: World, login: Login) -> None:
    alice = await login("alice")
    as_json = {**JSON, "content-type": "application/json"}
    cut = await alice.post("/api/v1/games", content=b'{"title": ', headers=as_json)
    assert cut.status_code == 400 and cut.json()["message"] == "The request body is not valid JSON."
    listed = await alice.post("/api/v1/games", content=b"[1, 2]", headers=as_json)
    assert listed.status_code == 422 and listed.json()["message"] == "The request body must be a JSON object."
    page = await alice.get(f"/guilds/{world.guild_id()}?page=0", headers=JSON)
    assert page.json()["message"] == "The page number must be at least 1."


async def test_one_submit_of_the_edit_form_reports_every_problem(world: World, login: Login) -> None:
    alice = await login("alice")
    game_id = await create_game(alice, world, title="Catan night")
    form = new_game_form(world, title="x" * 201, scheduled_at=in_days(-1), max_players="0", version="1")
    page = await alice.post(f"/games/{game_id}/edit", data=await csrf_form(alice, form))
    assert page.status_code == 422
    shown = text_of(page)
    for sentence in (
        "Keep it to at most 200 characters (this has 201).",
        "Max players must be between 1 and 100.",
        "The game must be scheduled in the future.",
    ):
        assert sentence in shown, sentence
    game = (await alice.get(f"/api/v1/games/{game_id}", headers=JSON)).json()
    assert game["title"] == "Catan night" and game["version"] == 1


async def test_the_api_lists_only_roles_a_setting_may_name(world: World, login: Login) -> None:
    alice = await login("alice")
    guild = (await alice.get(f"/api/v1/guilds/{world.guild_id()}", headers=JSON)).json()
    names = [r["name"] for r in guild["roles"]]
    assert "Game Host" in names and "gamesched" not in names and "@everyone" not in names
