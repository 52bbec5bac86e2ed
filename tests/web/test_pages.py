"""Dashboard pages over HTTP (logged in through the sandbox's OAuth): access, errors, forms, live updates."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from gamesched.app import App
from tests.images.pictures import picture
from tests.web.conftest import Login, csrf_form
from tests.world import World

HTML = {"accept": "text/html"}


def in_days(days: float = 3) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(second=0, microsecond=0).isoformat()


def new_game_form(world: World, **fields: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "guild_id": str(world.guild_id()),
        "channel_id": str(world.channel_id("board-games")),
        "title": "Catan night",
        "scheduled_at": in_days(),
        "submission": uuid.uuid4().hex,
    }
    form.update(fields)
    return form


async def create_game(client: httpx.AsyncClient, world: World, **fields: Any) -> str:
    response = await client.post("/games/new", data=await csrf_form(client, new_game_form(world, **fields)))
    assert response.status_code == 303, response.text[:2000]
    return str(response.headers["location"]).removeprefix("/games/")


async def test_pages_send_a_logged_out_browser_to_the_login_page_and_back(web_app: App) -> None:
    async with httpx.AsyncClient(base_url=web_app.base_url, headers=HTML) as browser:
        home = await browser.get("/guilds/1?status=all")
        login = await browser.get("/login", params={"next": "/guilds/1?status=all"})
    assert home.status_code == 303
    assert home.headers["location"] == "/login?next=%2Fguilds%2F1%3Fstatus%3Dall"
    assert login.status_code == 200
    assert "Log in with Discord" in login.text
    assert 'href="/api/v1/auth/login?next=%2Fguilds%2F1%3Fstatus%3Dall"' in login.text


async def test_missing_game_and_foreign_guild_are_friendly_404_pages(world: World, login: Login) -> None:
    alice = await login("alice")
    missing = await alice.get(f"/games/{uuid.uuid4()}")
    foreign = await alice.get(f"/guilds/{world.guild_id('Other Guild')}")
    nowhere = await alice.get("/no/such/page")
    for page in (missing, foreign, nowhere):
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "Not found" in page.text and "Traceback" not in page.text
    assert "Other Guild" not in foreign.text.split("</header>")[1]
    assert "Alice Anders" in missing.text  # the header still knows who is looking


async def test_create_form_paths_show_nothing_of_a_server_the_viewer_is_not_in(
    world: World, login: Login
) -> None:
    """Guild ids are not secret: every path of the create page checks membership before reading."""
    other = world.guild_id("Other Guild")
    lobby, organizer = world.channel_id("lobby", "Other Guild"), world.role_id("Organizer", "Other Guild")
    oscar = await login("oscar")
    secret = {"max_players": 7, "signup_instructions": "Oscar's house rules: no phones"}
    saved = await oscar.patch(f"/api/v1/guilds/{other}/settings", json=secret)
    assert saved.status_code == 200, saved.text
    alice = await login("alice")
    answers = {
        "bare post": await alice.post("/games/new", data=await csrf_form(alice, {"guild_id": str(other)})),
        "full post": await alice.post(
            "/games/new",
            data=await csrf_form(
                alice, new_game_form(world, guild_id=str(other), channel_id=str(lobby), host="@pegg")
            ),
        ),
        "form": await alice.get("/games/new", params={"guild_id": other, "channel_id": lobby}),
        "inherited": await alice.get("/games/new/inherited", params={"guild_id": other, "channel_id": lobby}),
    }
    for name, page in answers.items():
        assert page.status_code == 404, name
        body = page.text.split("</header>")[-1]
        for leaked in ("lobby", str(lobby), "Organizer", str(organizer), "no phones", "peggy", "Other Guild"):
            assert leaked not in body, (name, leaked)


async def test_unexpected_errors_show_a_page_without_a_stack_trace(web_app: App, login: Login) -> None:
    alice = await login("alice")

    async def broken(user_id: int) -> Any:
        raise RuntimeError("database exploded at line 42")

    web_app.guilds.guilds_for_user = broken  # type: ignore[method-assign]
    page = await alice.get("/")
    assert page.status_code == 500
    assert "Something went wrong" in page.text
    assert "exploded" not in page.text and "Traceback" not in page.text


async def test_non_manager_gets_403_on_settings_pages_and_cannot_post_them(
    world: World, login: Login
) -> None:
    gid, rpg = world.guild_id(), world.channel_id("rpg")
    bob = await login("bob")
    pages = [f"/guilds/{gid}/settings", f"/guilds/{gid}/channels/{rpg}/settings"]
    for path in pages:
        shown = await bob.get(path)
        posted = await bob.post(path, data=await csrf_form(bob, {"max_players": "3"}))
        assert shown.status_code == 403 and "Not allowed" in shown.text, path
        assert posted.status_code == 403, path
    games = await bob.get(f"/guilds/{gid}")
    assert games.status_code == 200
    assert f'href="/guilds/{gid}/settings"' not in games.text


async def test_settings_pages_show_what_is_inherited_and_what_is_overridden(
    world: World, login: Login
) -> None:
    gid, rpg = world.guild_id(), world.channel_id("rpg")
    alice = await login("alice")
    saved = await alice.post(
        f"/guilds/{gid}/settings",
        data=await csrf_form(alice, {"max_players": "8", "reminder_minutes": "30, 120"}),
    )
    assert saved.status_code == 303
    inherited = await alice.get(f"/guilds/{gid}/channels/{rpg}/settings")
    assert "Inherited: 8 (from the server settings)" in inherited.text
    assert "Inherited: 120, 30" in inherited.text

    override = await alice.post(
        f"/guilds/{gid}/channels/{rpg}/settings",
        data=await csrf_form(alice, {"is_active": "on", "max_players": "4", "host_role_ids_mode": "inherit"}),
    )
    assert override.status_code == 303
    channel = await alice.get(override.headers["location"])
    assert "Saved." in channel.text
    assert "Set for this channel; empty it to use the server's value (8)" in channel.text
    server = await alice.get(f"/guilds/{gid}/settings")
    row = server.text.split("#rpg")[1].split("</tr>")[0]
    assert "4" in row and "override" in row


async def test_settings_form_errors_are_shown_next_to_their_fields(world: World, login: Login) -> None:
    alice = await login("alice")
    page = await alice.post(
        f"/guilds/{world.guild_id()}/settings",
        data=await csrf_form(alice, {"max_players": "500", "reminder_minutes": "soon"}),
    )
    assert page.status_code == 422
    assert 'id="max_players-error"' in page.text and "between 1 and 100" in page.text
    assert 'id="reminder_minutes-error"' in page.text
    assert 'value="soon"' in page.text  # what was typed stays


async def test_create_form_errors_are_inline_and_the_form_is_kept(world: World, login: Login) -> None:
    alice = await login("alice")
    form = new_game_form(world, title="  ", max_players="0", description="Bring snacks")
    page = await alice.post("/games/new", data=await csrf_form(alice, form))
    assert page.status_code == 422
    assert 'id="title-error"' in page.text and "Give the game a title." in page.text
    assert 'id="max_players-error"' in page.text
    assert "Bring snacks" in page.text


async def test_invalid_mentions_come_back_with_suggestions_and_nothing_typed_is_lost(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    entries = "@carol\n@bo\nReserved"
    page = await alice.post(
        "/games/new", data=await csrf_form(alice, new_game_form(world, initial_participants=entries))
    )
    assert page.status_code == 422
    assert 'id="initial_participants-error"' in page.text
    assert "No member of this server is called @bo" in page.text
    assert re.search(r'data-replace="@bo" data-with="@bob"', page.text)
    assert "@carol\n@bo\nReserved</textarea>" in page.text


async def test_a_double_submitted_create_form_makes_one_game(world: World, login: Login) -> None:
    alice = await login("alice")
    body = await csrf_form(alice, new_game_form(world, title="Only once"))
    first, second = await asyncio.gather(
        alice.post("/games/new", data=body), alice.post("/games/new", data=body)
    )
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    listed = (await alice.get("/api/v1/games", params={"guild_id": world.guild_id()})).json()
    assert [g["title"] for g in listed["items"]] == ["Only once"]


async def test_game_page_join_leave_and_a_resubmitted_edit_are_harmless(world: World, login: Login) -> None:
    alice, bob = await login("alice"), await login("bob")
    game_id = await create_game(alice, world, max_players="2", initial_participants="@carol")

    for _ in range(2):
        joined = await bob.post(f"/games/{game_id}/join", data=await csrf_form(bob, {}))
        assert joined.status_code == 303
    page = await bob.get(f"/games/{game_id}")
    assert "You're in — seat 2 of 2." in page.text
    for _ in range(2):
        left = await bob.post(f"/games/{game_id}/leave", data=await csrf_form(bob, {}))
        assert left.status_code == 303

    edit_page = await alice.get(f"/games/{game_id}/edit")
    version = re.search(r'name="version" value="(\d+)"', edit_page.text)
    assert version is not None
    edit = new_game_form(
        world, title="Catan night (moved)", scheduled_at=in_days(5), version=version.group(1)
    )
    for _ in range(2):
        saved = await alice.post(f"/games/{game_id}/edit", data=await csrf_form(alice, edit))
        assert saved.status_code == 303, saved.text[:1500]
    game = (await alice.get(f"/api/v1/games/{game_id}")).json()
    assert game["title"] == "Catan night (moved)" and game["version"] == int(version.group(1)) + 1


async def test_only_the_host_or_a_manager_can_edit_or_cancel(world: World, login: Login) -> None:
    alice, bob = await login("alice"), await login("bob")
    game_id = await create_game(alice, world)
    assert (await bob.get(f"/games/{game_id}/edit")).status_code == 403
    assert (await bob.get(f"/games/{game_id}/cancel")).status_code == 403
    assert (await bob.post(f"/games/{game_id}/cancel", data=await csrf_form(bob, {}))).status_code == 403
    for _ in range(2):
        cancelled = await alice.post(f"/games/{game_id}/cancel", data=await csrf_form(alice, {}))
        assert cancelled.status_code == 303
    assert "This game was cancelled." in (await alice.get(f"/games/{game_id}")).text


async def test_a_form_without_its_csrf_token_gets_a_friendly_page(world: World, login: Login) -> None:
    alice = await login("alice")
    game_id = await create_game(alice, world)
    response = await alice.post(
        f"/games/{game_id}/cancel", data={"_csrf_token": "forged"}, headers={"x-csrftoken": ""}
    )
    assert response.status_code == 403
    assert "This form has expired" in response.text


async def test_the_live_stream_says_changed_when_someone_joins(
    web_app: App, world: World, login: Login
) -> None:
    alice, bob = await login("alice"), await login("bob")
    game_id = await create_game(alice, world)
    async with alice.stream(
        "GET", f"/games/{game_id}/live", headers={"accept": "text/event-stream"}
    ) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        assert (await anext(lines)).startswith(": listening")
        assert (await bob.post(f"/api/v1/games/{game_id}/join")).status_code == 200

        async def next_event() -> str:
            async for line in lines:
                if line.startswith("event:"):
                    return line
            return ""

        assert await asyncio.wait_for(next_event(), 10) == "event: changed"


async def test_host_adds_reorders_replaces_and_removes_players_on_the_edit_page(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    game_id = await create_game(alice, world, initial_participants="@carol\nGuest")

    async def roster() -> list[dict[str, Any]]:
        game = (await alice.get(f"/api/v1/games/{game_id}")).json()
        return list(game["participants"])

    wrong = await alice.post(f"/games/{game_id}/participants", data=await csrf_form(alice, {"entry": "@da"}))
    assert wrong.status_code == 422
    assert 'id="entry-error"' in wrong.text and 'data-with="@dave"' in wrong.text
    assert 'value="@da"' in wrong.text
    added = await alice.post(
        f"/games/{game_id}/participants", data=await csrf_form(alice, {"entry": "@dave"})
    )
    assert added.status_code == 303
    back = added.headers["location"]
    assert back.startswith(f"/games/{game_id}/edit?notice=") and back.endswith("#roster")
    said = await alice.get(back)  # Dave hears he is in: the page says so, once
    assert '<p class="flash" role="status" id="notice">Added — 1 person was told.</p>' in said.text
    assert 'id="notice"' not in (await alice.get(back)).text
    assert [p["display_name"] for p in await roster()] == ["Carol Chen", "Guest", "Dave Dunn"]

    carol, guest, dave = (p["id"] for p in await roster())
    move_dave_up = {"participant_ids": [carol, dave, guest]}
    for _ in range(2):  # the button sends the whole order: pressing it twice changes nothing more
        moved = await alice.post(
            f"/games/{game_id}/participants/order", data=await csrf_form(alice, move_dave_up)
        )
        assert moved.status_code == 303
    assert [p["display_name"] for p in await roster()] == ["Carol Chen", "Dave Dunn", "Guest"]

    replaced = await alice.post(
        f"/games/{game_id}/participants/{guest}/replace", data=await csrf_form(alice, {"mention": "@erin"})
    )
    assert replaced.status_code == 303
    assert [p["display_name"] for p in await roster()] == ["Carol Chen", "Dave Dunn", "Erin the Bold"]

    for _ in range(2):
        removed = await alice.post(
            f"/games/{game_id}/participants/{carol}/remove", data=await csrf_form(alice, {})
        )
        assert removed.status_code == 303
    assert "Removed." in (await alice.get(removed.headers["location"])).text  # the second press: done
    assert [p["display_name"] for p in await roster()] == ["Dave Dunn", "Erin the Bold"]
    edit_page = await alice.get(f"/games/{game_id}/edit")
    assert 'aria-label="Move Erin the Bold up"' in edit_page.text


async def test_clone_fills_a_new_form_with_the_game_and_optionally_its_players(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    game_id = await create_game(
        alice, world, title="Weekly Catan", max_players="5", initial_participants="@bob\nReserved"
    )
    plain = await alice.get("/games/new", params={"from": game_id})
    with_players = await alice.get("/games/new", params={"from": game_id, "players": "true"})
    for page in (plain, with_players):
        assert page.status_code == 200
        assert 'value="Weekly Catan"' in page.text
        assert 'name="max_players" min="1" max="100" inputmode="numeric" value="5"' in page.text
    for page in (plain, with_players):  # the players are carried over, not typed again
        assert "@bob" not in page.text.split('id="initial_participants"')[1].split("</textarea>")[0]
    for carried in ("confirmed", "waitlist"):
        assert f'id="carry_{carried}_yes" value="yes" checked' in with_players.text
        assert f'id="carry_{carried}_no" value="no" checked' in plain.text


async def test_clone_proposes_the_same_weekday_and_time_a_week_on_not_the_old_date(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    when = (datetime.now(UTC) + timedelta(days=2)).replace(hour=19, minute=30, second=0, microsecond=0)
    game_id = await create_game(alice, world, title="Weekly Catan", scheduled_at=when.isoformat())
    page = await alice.get("/games/new", params={"from": game_id})
    proposed = (when + timedelta(days=7)).isoformat()
    assert f'name="scheduled_at" value="{proposed}"' in page.text


async def test_links_in_a_description_are_clickable_and_nothing_else_becomes_markup(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    description = (
        "Rules: https://example.com/rules?a=1&b=2. Map (https://maps.example/x) "
        'javascript:alert(1) <script>alert(2)</script> <b onclick="alert(3)">x</b> '
        "data:text/html,hi ftp://files.example/f"
    )
    game_id = await create_game(alice, world, description=description)
    page = await alice.get(f"/games/{game_id}")
    prose = page.text.split('<div class="prose">')[1].split("</div>")[0]
    assert (
        '<a href="https://example.com/rules?a=1&amp;b=2" rel="noopener nofollow ugc">'
        "https://example.com/rules?a=1&amp;b=2</a>." in prose
    )
    assert (
        '(<a href="https://maps.example/x" rel="noopener nofollow ugc">https://maps.example/x</a>)' in prose
    )
    assert prose.count("<a ") == 2  # not javascript:, data: or ftp:, nor the typed <a> tag
    assert "javascript:alert(1) &lt;script&gt;alert(2)&lt;/script&gt;" in prose
    assert "&lt;b onclick=&#34;alert(3)&#34;&gt;x&lt;/b&gt;" in prose


async def test_server_games_filter_by_channel_category_and_status_a_page_at_a_time(
    world: World, login: Login
) -> None:
    gid = world.guild_id()
    alice = await login("alice")
    for n in range(21):
        body = {
            "guild_id": str(gid),
            "channel_id": str(world.channel_id("general" if n == 0 else "board-games")),
            "title": f"Game {n:02d}",
            "scheduled_at": in_days(1 + n),
        }
        assert (await alice.post("/api/v1/games", json=body)).status_code == 201
    rpg = await create_game(alice, world, channel_id=str(world.channel_id("rpg")), title="Dungeon")
    assert (await alice.post(f"/games/{rpg}/cancel", data=await csrf_form(alice, {}))).status_code == 303

    def titles(page: httpx.Response) -> list[str]:
        return re.findall(r'class="game-title">([^<]+)<', page.text)

    first = await alice.get(f"/guilds/{gid}")
    second = await alice.get(f"/guilds/{gid}", params={"page": 2})
    assert "21 games" in first.text and "Page 1 of 2" in first.text
    assert len(titles(first)) == 20 and titles(second) == ["Game 20"]
    in_general = await alice.get(f"/guilds/{gid}", params={"channel": world.channel_id("general")})
    assert titles(in_general) == ["Game 00"]
    cancelled = await alice.get(f"/guilds/{gid}", params={"status": "cancelled"})
    assert titles(cancelled) == ["Dungeon"]
    in_games_category = await alice.get(f"/guilds/{gid}", params={"category": "Games", "status": "all"})
    assert len(titles(in_games_category)) == 20 and "Game 00" not in titles(in_games_category)
    assert "21 games" in in_games_category.text


TOO_BIG = "99999999999999999999"  # beyond PostgreSQL's BIGINT


async def test_create_and_edit_forms_refuse_hostile_input_inline_and_keep_what_was_typed(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    foreign = str(world.role_id("Organizer", guild="Other Guild"))
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"title": "Catan\x00night"}, "title", "NUL byte"),
        ({"title": "\u200b\u200d\u2060"}, "title", "Give the game a title."),
        ({"location": "Dave\x07s"}, "location", "control character U+0007"),
        ({"channel_id": TOO_BIG}, "channel_id", "Pick a channel to announce the game in."),
        ({"notify_role_ids": [TOO_BIG]}, "notify_role_ids", "Pick from the list"),
        ({"player_role_ids": [foreign]}, "player_role_ids", "is not a role of this server"),
        ({"scheduled_at": "9999-12-31T23:30:00+00:00"}, "scheduled_at", "at most 5 years ahead"),
        ({"initial_participants": "@bob\nRes\x00erved"}, "initial_participants", "NUL byte"),
    ]
    for fields, field, sentence in cases:
        form = new_game_form(world, description="Bring snacks", **fields)
        page = await alice.post("/games/new", data=await csrf_form(alice, form))
        assert page.status_code == 422, (fields, page.text[:1000])
        assert f'id="{field}-error"' in page.text and sentence in page.text, fields
        assert "Bring snacks" in page.text
    game_id = await create_game(alice, world, title="Kept")
    edit = new_game_form(world, title="Kept", location="Dave\x00s", description="New words")
    page = await alice.post(f"/games/{game_id}/edit", data=await csrf_form(alice, edit))
    assert page.status_code == 422 and 'id="location-error"' in page.text and "New words" in page.text
    listed = (await alice.get("/api/v1/games", params={"guild_id": world.guild_id()})).json()
    assert [g["title"] for g in listed["items"]] == ["Kept"]


async def test_settings_pages_and_urls_with_hostile_input_answer_with_a_sentence(
    world: World, login: Login
) -> None:
    gid = world.guild_id()
    alice = await login("alice")
    settings = await alice.post(
        f"/guilds/{gid}/settings",
        data=await csrf_form(alice, {"signup_instructions": "Be\x00 nice", "max_players": "7"}),
    )
    assert settings.status_code == 422
    assert 'id="signup_instructions-error"' in settings.text and "NUL byte" in settings.text
    assert 'value="7"' in settings.text
    for url in (
        f"/guilds/{gid}?channel={TOO_BIG}",
        f"/guilds/{TOO_BIG}/settings",
        f"/games/new?guild_id={TOO_BIG}",
    ):
        page = await alice.get(url)
        assert page.status_code == 422, (url, page.text[:500])
        assert page.headers["content-type"].startswith("text/html")
        assert "Discord id" in page.text and "Traceback" not in page.text


async def test_a_clone_keeps_the_games_pictures_unless_one_is_removed(world: World, login: Login) -> None:
    alice = await login("alice")
    thumb, banner = picture("PNG", (64, 64)), picture("JPEG", (800, 200))
    response = await alice.post(
        "/games/new",
        data=await csrf_form(alice, new_game_form(world, title="Weekly Catan")),
        files={"thumbnail": ("t.png", thumb, "image/png"), "banner": ("b.jpg", banner, "image/jpeg")},
    )
    assert response.status_code == 303, response.text[:2000]
    source_id = response.headers["location"].removeprefix("/games/")
    source = (await alice.get(f"/api/v1/games/{source_id}")).json()

    form = await alice.get("/games/new", params={"from": source_id})
    thumb_name = source["thumbnail_url"].rsplit("/", 1)[-1]
    assert f'<input type="hidden" name="kept_thumbnail" value="{thumb_name}">' in form.text
    assert f'src="{source["thumbnail_url"]}"' in form.text  # shown, with a box to remove it

    kept = await create_game(
        alice,
        world,
        title="Weekly Catan",
        kept_thumbnail=thumb_name,
        kept_banner=source["banner_url"].rsplit("/", 1)[-1],
    )
    clone = (await alice.get(f"/api/v1/games/{kept}")).json()
    assert (clone["thumbnail_url"], clone["banner_url"]) == (source["thumbnail_url"], source["banner_url"])

    without_banner = await create_game(
        alice,
        world,
        title="Weekly Catan",
        kept_thumbnail=thumb_name,
        kept_banner=source["banner_url"].rsplit("/", 1)[-1],
        remove_banner="on",
    )
    second = (await alice.get(f"/api/v1/games/{without_banner}")).json()
    assert (second["thumbnail_url"], second["banner_url"]) == (source["thumbnail_url"], None)
    # A name that is no stored image (typed, or swept since) leaves the clone without that picture.
    made_up = await create_game(alice, world, title="Weekly Catan", kept_thumbnail="0" * 64 + ".png")
    assert (await alice.get(f"/api/v1/games/{made_up}")).json()["thumbnail_url"] is None


async def test_the_create_form_cannot_step_around_the_default_templates_locks(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    gid, rpg = world.guild_id(), world.channel_id("rpg")
    [default] = (await alice.get(f"/api/v1/guilds/{gid}/templates")).json()
    locked = await alice.patch(
        f"/api/v1/guilds/{gid}/templates/{default['id']}",
        json={"channel_id": str(rpg), "channel_locked": True},
    )
    assert locked.status_code == 200, locked.text
    form = await alice.get("/games/new", params={"guild_id": gid})
    assert 'value="none"' not in form.text  # no "No template" to pick
    # A form sent as an older page would (template "none"), or with no template at all: the default's locks hold.
    for template in ("none", ""):
        response = await alice.post(
            "/games/new", data=await csrf_form(alice, new_game_form(world, template_id=template))
        )
        assert response.status_code == 422
        assert "follow this server&#39;s template “Default”, which sets the channel" in response.text
    made = await create_game(alice, world, channel_id=str(rpg))
    assert (await alice.get(f"/api/v1/games/{made}")).json()["template_name"] == "Default"
