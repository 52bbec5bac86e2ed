"""HTML and script in every text a page shows, typed into gamesched or named in Discord, stay text.

A game's title, description, location, signup instructions, rewards and a placeholder's name, a template's
name and location, a server's and a channel's signup instructions, and on Discord's side the host's display
name, a member's nickname, a role's name and the server's name all carry markup. Every page of the route
table is then fetched (as the API's client would) and opened in Chromium: the markup is shown escaped, no
page holds it raw, none of it runs and no page breaks the Content-Security-Policy.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from gamesched.app import App
from tests.games.conftest import create_game
from tests.login import CSRF_COOKIE, SESSION_COOKIE
from tests.web.conftest import Login, browser_login
from tests.web.test_browser import REPORT_VIOLATIONS
from tests.web.test_cross_guild_routes import PATH_PARAMETER, SAFE, Server, start_series
from tests.web.test_route_access import PUBLIC, _alices, _routes, _send
from tests.world import World

#: Short enough for Discord's 32-character names; each would run if a page put it into its markup.
SCRIPT = "<script>pwned=1</script>"
HANDLER = "<img src=x onerror=pwned=2>"
MARKUP = f"A {SCRIPT}{HANDLER} & 'q' \"d\""
ESCAPED = "&lt;script&gt;pwned=1&lt;/script&gt;"
#: Pages that never end (a live stream of a game's changes) or that no person opens.
NOT_PAGES = {"/games/{game_id:str}/live"}


async def _marked_up(app: App, world: World, alice: httpx.AsyncClient) -> Server:
    """Alice's server with markup in every text, on both sides; her ids around a game with all of it."""
    gid, rpg = world.guild_id(), world.channel_id("rpg")
    async with httpx.AsyncClient(base_url=f"{app.base_url}/sandbox/api") as sandbox:
        changes = [
            (f"/users/{world.user_id('alice')}", {"global_name": f"Al{HANDLER}"}),
            (f"/guilds/{gid}/members/{world.user_id('bob')}", {"nick": f"B{SCRIPT}"}),
            (f"/guilds/{gid}/roles/{world.role_id('Player')}", {"name": f"P{HANDLER}"}),
            (f"/guilds/{gid}", {"name": f"G{SCRIPT}"}),
        ]
        for path, body in changes:
            method = sandbox.put if "/members/" in path else sandbox.patch
            changed = await method(path, json=body)
            assert changed.status_code < 300, (path, changed.text)
    for path, body in (
        (f"/api/v1/guilds/{gid}/settings", {"signup_instructions": f"Server {MARKUP}"}),
        (f"/api/v1/guilds/{gid}/channels/{rpg}/settings", {"signup_instructions": f"Channel {MARKUP}"}),
    ):
        saved = await alice.patch(path, json=body)
        assert saved.status_code == 200, saved.text
    template = await alice.post(
        f"/api/v1/guilds/{gid}/templates", json={"name": f"T{SCRIPT}", "location": f"Where {MARKUP}"}
    )
    assert template.status_code == 201, template.text
    own = await _alices(app, alice, world)
    game = await create_game(
        alice,
        world,
        channel_id=str(rpg),
        title=f"Title {MARKUP}",
        description=f"About {MARKUP}",
        location=f"At {MARKUP}",
        signup_instructions=f"Sign {MARKUP}",
        initial_participants=["@bob", f"Guest {SCRIPT}"],
        player_role_ids=[str(world.role_id("Player"))],
    )
    rewards = await alice.put(f"/api/v1/games/{game['id']}/rewards", json={"rewards": f"Won {MARKUP}"})
    assert rewards.status_code == 200, rewards.text
    placeholder = next(p["id"] for p in game["participants"] if p["discord_id"] is None)
    series = await start_series(alice, str(gid), str(rpg), f"Series {MARKUP}")
    return Server(
        **{
            **own.__dict__,
            "game_id": game["id"],
            "participant_id": placeholder,
            "channel_id": str(rpg),
            "series_id": series["id"],
        }
    )


def _page_paths(app: App, own: Server) -> list[str]:
    """Every page of the route table (GET, not the API, not public files), with alice's ids."""
    paths = []
    for path, method, _ in _routes(app.http):
        if method in SAFE and not path.startswith("/api/") and path not in PUBLIC and path not in NOT_PAGES:
            url = PATH_PARAMETER.sub(lambda m: own.path_ids()[m[1]], path)
            paths.append(f"{url}?{urlencode(own.query())}")  # the query the HTTP walk sends too
    return list(dict.fromkeys(paths))


async def test_markup_in_every_text_is_escaped_on_every_page(
    web_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    own = await _marked_up(web_app, world, alice)
    cookies = {SESSION_COOKIE: alice.cookies[SESSION_COOKIE], CSRF_COOKIE: alice.cookies[CSRF_COOKIE]}
    shown, problems = 0, []
    for path, method, data_type in _routes(web_app.http):
        if method not in SAFE or path.startswith("/api/") or path in PUBLIC or path in NOT_PAGES:
            continue
        status, _, body = await _send(
            web_app.base_url, method, path, own, data_type, cookies=cookies, token=None
        )
        if status != 200:
            problems.append(f"GET {path} → {status}")
        for raw in (SCRIPT, HANDLER):
            if raw in body:
                problems.append(f"GET {path}: holds {raw!r} unescaped")
        shown += body.count(ESCAPED)
    assert not problems, "\n".join(problems)
    game = (await alice.get(f"/games/{own.game_id}")).text
    for text in ("Title", "About", "At", "Sign", "Won"):
        assert f"{text} A {ESCAPED}" in game, text
    assert f"Series A {ESCAPED}" in (await alice.get(f"/series/{own.series_id}")).text
    assert f"Guest {ESCAPED}" in game and f"B{ESCAPED}" in game  # a placeholder's and a member's name
    assert shown >= 10


@pytest.mark.browser
async def test_no_page_runs_markup_or_breaks_the_content_security_policy(
    web_app: App, world: World, login: Login, new_page: Any
) -> None:
    own = await _marked_up(web_app, world, await login("alice"))
    violations: list[str] = []

    def heard(message: Any) -> None:
        if "CSP violation" in message.text or "Content Security Policy" in message.text:
            violations.append(message.text)

    page = await new_page()
    await page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", heard)
    await browser_login(page, "alice")
    paths = _page_paths(web_app, own)
    for path in paths:
        response = await page.goto(path)
        assert response.status == 200, path
        await page.wait_for_load_state("networkidle")
        assert await page.evaluate("typeof window.pwned") == "undefined", path
        headers = await response.all_headers()
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin", path
    assert violations == [], "\n".join(violations)
    assert len(paths) >= 12
