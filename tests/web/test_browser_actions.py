"""In Chromium: failed htmx actions say why in place, live updates keep the keyboard focus, and of two
answers that cross the newer one stays."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gamesched.app import App
from tests.games.conftest import create_game
from tests.login import login_as
from tests.web.conftest import browser_login, screenshot
from tests.world import World

pytestmark = pytest.mark.browser

#: What has the keyboard focus, as a person would tell it: the element's kind, text and link.
FOCUSED = "(e => e.tagName + ' ' + e.textContent.trim() + ' ' + (e.getAttribute('href') || ''))(document.activeElement)"
#: ``window.joinAnswered``: what has the focus once the page has swapped in the answer to its own Join (the
#: live refresh that Join causes may swap the panel before or after it).
AWAIT_THE_JOINS_ANSWER = (
    "() => { window.joinAnswered = new Promise(resolve => {"
    "  document.addEventListener('htmx:afterSwap', event => {"
    "    if (event.detail.xhr && event.detail.xhr.responseURL.endsWith('/join')) resolve(" + FOCUSED + ");"
    "  });"
    "}); }"
)


async def bob_on_alices_game(
    web_app: App, world: World, new_page: Any, *, size: tuple[int, int] | None = None, **game: Any
) -> tuple[Any, dict[str, Any]]:
    """Alice's new game (``game``: its fields), open in Bob's browser; the page and the game."""
    async with await login_as(web_app.base_url, "alice") as alice:
        created = await create_game(alice, world, **game)
    page = await (new_page(width=size[0], height=size[1]) if size else new_page())
    await browser_login(page, "bob")
    await page.goto(f"/games/{created['id']}")
    return page, created


async def test_a_refused_join_on_a_stale_page_says_why_next_to_the_button(
    web_app: App, world: World, new_page: Any
) -> None:
    async with await login_as(web_app.base_url, "alice") as alice:
        game = await create_game(alice, world, title="Members only")
        page = await new_page()
        await browser_login(page, "frank")  # no roles
        await page.route("**/live", lambda route: route.abort())  # a stale page: no live updates reach it
        await page.goto(f"/games/{game['id']}")
        await page.get_by_role("button", name="Join").wait_for()
        restricted = await alice.patch(
            f"/api/v1/games/{game['id']}", json={"player_role_ids": [str(world.role_id("Player"))]}
        )
        assert restricted.status_code == 200, restricted.text

    await page.get_by_role("button", name="Join").click()  # answered 403
    alert = page.get_by_role("alert")
    await alert.get_by_role("heading", name="Not allowed").wait_for()
    await alert.get_by_text("Only @Player members can join.").wait_for()
    await page.get_by_role("heading", name="Members only").wait_for()  # still the game page
    await screenshot(page, "join-refused")

    await page.reload()  # a fresh page offers no Join, and says why
    await page.get_by_text("Only @Player members can join.").wait_for()
    assert await page.get_by_role("button", name="Join").count() == 0


async def test_every_htmx_action_shows_a_failure_it_gets(web_app: App, world: World, new_page: Any) -> None:
    """A 5xx from the live refresh, and no answer at all for join and for the create form's channel."""
    page, game = await bob_on_alices_game(web_app, world, new_page, title="Flaky night")

    await page.route("**/join", lambda route: route.abort())
    await page.get_by_role("button", name="Join").click()
    await page.get_by_role("alert").get_by_text("gamesched could not be reached").wait_for()

    await page.route("**/panel", lambda route: route.fulfill(status=500, body="boom"))
    async with await login_as(web_app.base_url, "dave") as dave:  # the live update asks for the panel: 500
        assert (await dave.post(f"/api/v1/games/{game['id']}/join")).status_code == 200
    await page.get_by_role("alert").get_by_text("Something went wrong (500)").wait_for()

    host = await new_page()
    await browser_login(host, "alice")
    await host.route("**/games/new/inherited*", lambda route: route.abort())
    await host.goto(f"/games/new?guild_id={world.guild_id()}&template_id=none")
    await host.get_by_label("Channel").select_option(label="#rpg")
    await host.get_by_role("alert").get_by_text("gamesched could not be reached").wait_for()


async def test_another_players_join_keeps_the_keyboard_focus_and_the_scroll(
    web_app: App, world: World, new_page: Any
) -> None:
    page, game = await bob_on_alices_game(
        web_app, world, new_page, size=(390, 600), title="Focus night", description="A long evening.\n" * 40
    )
    roster = page.locator("#confirmed")

    for username, name, focused in [
        ("dave", "Dave Dunn", page.get_by_role("link", name="Add to calendar (.ics)")),
        ("erin", "Erin the Bold", page.get_by_role("button", name="Join")),
    ]:
        await focused.focus()
        before = await page.evaluate(FOCUSED)
        assert not before.startswith("BODY")
        scrolled = await page.evaluate("window.scrollY")
        assert scrolled > 0, "the focused control is below the fold"
        async with await login_as(web_app.base_url, username) as other:
            assert (await other.post(f"/api/v1/games/{game['id']}/join")).status_code == 200
        await roster.get_by_text(name, exact=True).wait_for()  # the live update swapped the panel
        assert await page.evaluate(FOCUSED) == before
        assert await page.evaluate("window.scrollY") == scrolled

    # Joining oneself: the Join button becomes Leave, and keeps the focus.
    await page.evaluate(AWAIT_THE_JOINS_ANSWER)
    await page.get_by_role("button", name="Join").click()
    assert await page.evaluate("() => window.joinAnswered") == "BUTTON Leave "


async def test_ones_own_join_keeps_the_focus_when_its_live_refresh_starts_before_the_answer(
    web_app: App, world: World, new_page: Any
) -> None:
    """The live event of one's own Join can reach the page before the Join's answer. The refresh it starts
    finds the focus lost to the disabled button; the Join's answer must still put it on the button."""
    page, _ = await bob_on_alices_game(web_app, world, new_page, title="Race night", max_players=4)
    await page.get_by_role("button", name="Join").focus()

    refresh_started = asyncio.Event()
    page.on("request", lambda request: refresh_started.set() if request.url.endswith("/panel") else None)

    async def answer_after_the_refresh_started(route: Any) -> None:
        answer = await route.fetch()  # the join is committed: its live event is on its way to the page
        await asyncio.wait_for(refresh_started.wait(), 10)
        await route.fulfill(response=answer)

    await page.route("**/join", answer_after_the_refresh_started)
    await page.evaluate(AWAIT_THE_JOINS_ANSWER)
    await page.keyboard.press("Enter")
    assert await page.evaluate("() => window.joinAnswered") == "BUTTON Leave "


#: ``window.heldAnswer``: the status line once htmx has handled the answer with the ``x-held`` header (the
#: swap, if any, happens in the same task as htmx:beforeSwap: a microtask reads the page after it).
AWAIT_THE_HELD_ANSWER = """() => { window.heldAnswer = new Promise(resolve => {
  document.addEventListener("htmx:beforeSwap", event => {
    if (!event.detail.xhr.getResponseHeader("x-held")) return;
    queueMicrotask(() => resolve(document.querySelector(".my-status").textContent.trim()));
  });
}); }"""


async def test_a_live_refresh_answered_after_the_viewers_own_join_does_not_undo_it(
    web_app: App, world: World, new_page: Any
) -> None:
    """The live re-read that another player's join asks for is rendered, but reaches the page only after the
    viewer's own Join has been answered: the page keeps the newer panel, the one with the viewer in it."""
    page, game = await bob_on_alices_game(web_app, world, new_page, title="Crossing night", max_players=4)
    await page.get_by_role("button", name="Join").wait_for()

    rendered, release = asyncio.Event(), asyncio.Event()

    async def hold_the_first(route: Any) -> None:
        if rendered.is_set():
            await route.continue_()
            return
        answer = await route.fetch()  # rendered by the server now, before Bob's join
        rendered.set()
        await release.wait()
        await route.fulfill(response=answer, headers={**answer.headers, "x-held": "1"})

    await page.route("**/panel", hold_the_first)
    async with await login_as(web_app.base_url, "dave") as dave:
        assert (await dave.post(f"/api/v1/games/{game['id']}/join")).status_code == 200
    await asyncio.wait_for(rendered.wait(), 10)
    assert await page.get_by_text("Dave Dunn", exact=True).count() == 0  # that answer is still held

    await page.get_by_role("button", name="Join").click()
    await page.get_by_text("You're in — seat 2 of 4.").wait_for()
    await page.evaluate(AWAIT_THE_HELD_ANSWER)
    release.set()
    assert await page.evaluate("() => window.heldAnswer") == "You're in — seat 2 of 4."
    await page.get_by_role("button", name="Leave").wait_for()
    await page.locator("#confirmed").get_by_text("Dave Dunn", exact=True).wait_for()
