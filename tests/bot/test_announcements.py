"""Announcements end to end: the real bot posts and edits game messages in the sandbox."""

from __future__ import annotations

from typing import Any

import httpx

from gamesched.app import App
from tests.bot.conftest import (
    Login,
    announcement,
    buttons,
    click,
    dms,
    ephemeral_text,
    eventually,
    field,
    roster_lines,
    schedule,
)
from tests.world import World


async def test_a_game_created_on_the_web_is_announced_with_embed_and_buttons(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    player_role = world.role_id("Player")
    game = await schedule(
        login,
        world,
        title="Gloomhaven",
        description="Scenario 12",
        max_players=4,
        duration_minutes=150,
        location="Dave's place",
        signup_instructions="Bring your character sheet.",
        notify_role_ids=[str(player_role)],
        initial_participants=["@bob"],
    )
    message = await announcement(api, game)

    assert message["content"] == f"<@&{player_role}>"
    embed = message["embeds"][0]
    assert embed["title"] == "Gloomhaven"
    assert "Scenario 12" in embed["description"]
    assert embed["footer"]["text"] == "Status: Scheduled"
    assert embed["url"].endswith(f"/games/{game['id']}")
    assert field(message, "Host")["value"] == f"<@{world.user_id('alice')}>"  # type: ignore[index]
    assert field(message, "Duration")["value"] == "2h 30m"  # type: ignore[index]
    assert field(message, "Where")["value"] == "Dave's place"  # type: ignore[index]
    assert "Bring your character sheet." in field(message, "Signup instructions")["value"]  # type: ignore[index]
    assert f"/calendar/{game['id']}/" in field(message, "Add to calendar")["value"]  # type: ignore[index]
    assert roster_lines(message, "Players (1/4)") == [
        f"1. <@{world.user_id('bob')}>",
        "2. *open seat*",
        "3. *open seat*",
        "4. *open seat*",
    ]
    by_label = {b["label"]: b for b in buttons(message)}
    assert by_label["Join"]["custom_id"] == f"game:join:{game['id']}"
    assert by_label["Leave"]["custom_id"] == f"game:leave:{game['id']}"
    assert not by_label["Join"].get("disabled") and not by_label["Leave"].get("disabled")
    assert by_label["Details"]["url"].endswith(f"/games/{game['id']}")

    stored = (await (await login("alice")).get(f"/api/v1/games/{game['id']}")).json()
    assert stored["message_id"] == message["id"]


MEMBERS = [
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "niaj",
]


async def test_twelve_clicks_on_ten_seats_confirm_ten_and_waitlist_two(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, max_players=10)
    message = await announcement(api, game)
    join = f"game:join:{game['id']}"

    replies = [await click(api, world.user_id(name), message, join) for name in MEMBERS]

    texts = [ephemeral_text(r) for r in replies]
    assert all(r["latency_ms"] < 3000 for r in replies)
    assert texts[0] == "You're in **Catan night** — seat 1/10."
    assert texts[9] == "You're in **Catan night** — seat 10/10."
    assert texts[10] == "**Catan night** is full — you're #1 on the waitlist."
    assert texts[11] == "**Catan night** is full — you're #2 on the waitlist."

    def settled(m: dict[str, Any]) -> bool:
        return field(m, "Waitlist (2)") is not None

    final = await announcement(api, game, where=settled)
    ids = [world.user_id(name) for name in MEMBERS]
    assert roster_lines(final, "Players (10/10)") == [f"{n}. <@{uid}>" for n, uid in enumerate(ids[:10], 1)]
    assert roster_lines(final, "Waitlist (2)") == [f"1. <@{ids[10]}>", f"2. <@{ids[11]}>"]
    stored = (await (await login("alice")).get(f"/api/v1/games/{game['id']}")).json()
    assert (stored["confirmed_count"], stored["waitlist_count"]) == (10, 2)


async def test_leaving_promotes_the_first_waitlisted_player_who_is_told_by_dm(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, max_players=2)
    message = await announcement(api, game)
    for name in ("bob", "carol", "dave"):
        await click(api, world.user_id(name), message, f"game:join:{game['id']}")

    answer = await click(api, world.user_id("bob"), message, f"game:leave:{game['id']}")

    assert ephemeral_text(answer) == "You left **Catan night**."
    dave = world.user_id("dave")
    final = await announcement(
        api, game, where=lambda m: field(m, "Waitlist") is None and field(m, "Players (2/2)") is not None
    )
    assert roster_lines(final, "Players (2/2)") == [f"1. <@{world.user_id('carol')}>", f"2. <@{dave}>"]

    async def promoted_dm() -> list[str]:
        return [m["content"] for m in await dms(api, dave) if "seat opened up" in m["content"]]

    [text] = await eventually(promoted_dm)
    assert "**Catan night**" in text and "seat 2" in text
    assert not [m for m in await dms(api, world.user_id("bob")) if "left" in m["content"]]


async def test_cancelling_shows_cancelled_disables_buttons_and_tells_participants(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, initial_participants=["@bob", "@carol"])
    await announcement(api, game)

    alice = await login("alice")
    assert (await alice.delete(f"/api/v1/games/{game['id']}")).status_code in (200, 204)

    cancelled = await announcement(
        api, game, where=lambda m: m["embeds"][0]["footer"]["text"] == "Status: Cancelled"
    )
    assert cancelled["embeds"][0]["color"] == 0xE74C3C
    assert "cancelled" in cancelled["embeds"][0]["description"]
    assert all(b.get("disabled") for b in buttons(cancelled) if b.get("custom_id"))
    refused = await api.post(
        "/interactions",
        json={
            "type": "component",
            "user_id": str(world.user_id("dave")),
            "channel_id": cancelled["channel_id"],
            "message_id": cancelled["id"],
            "custom_id": f"game:join:{game['id']}",
        },
    )
    assert refused.status_code == 409  # Discord does not even send clicks on disabled buttons
    for name in ("bob", "carol"):

        async def told(uid: int = world.user_id(name)) -> bool:
            return any("was cancelled" in m["content"] for m in await dms(api, uid))

        await eventually(told)
    assert not any("was cancelled" in m["content"] for m in await dms(api, world.user_id("alice")))


async def test_a_started_game_shows_in_progress_with_its_buttons_disabled(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world)
    await announcement(api, game)

    assert await bot_app.games.lifecycle.transition(game["id"], guild_id=world.guild_id(), to="in_progress")

    started = await announcement(api, game, where=lambda m: "In progress" in m["embeds"][0]["footer"]["text"])
    assert started["embeds"][0]["color"] == 0x3498DB
    assert all(b.get("disabled") for b in buttons(started) if b.get("custom_id"))


async def test_a_click_needs_no_member_look_up_at_discord(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    """The interaction carries the member (roles, nick): answering must not wait on Discord's REST API
    (where a burst of 429s or 500s would fail the click)."""
    game = await schedule(login, world)
    message = await announcement(api, game)
    await api.delete("/log")

    answer = await click(api, world.user_id("erin"), message, f"game:join:{game['id']}")

    assert ephemeral_text(answer) == "You're in **Catan night** — seat 1/10."
    member_look_ups = [e for e in (await api.get("/log")).json() if "/members/" in e["path"]]
    assert member_look_ups == []


async def test_a_full_games_join_button_says_join_waitlist_and_join_again_once_a_seat_frees(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, title="Duel", max_players=1)
    first = await announcement(api, game)

    def join_label(message: dict[str, Any]) -> str:
        return next(b["label"] for b in buttons(message) if b.get("custom_id", "").startswith("game:join:"))

    assert join_label(first) == "Join"
    bob = world.user_id("bob")
    await click(api, bob, first, f"game:join:{game['id']}")
    full = await announcement(api, game, where=lambda m: join_label(m) == "Join waitlist")
    await click(api, bob, full, f"game:leave:{game['id']}")
    await announcement(api, game, where=lambda m: join_label(m) == "Join")
    # The web page's button says the same.
    carol = await login("carol")
    await click(api, bob, full, f"game:join:{game['id']}")
    page = await carol.get(f"/games/{game['id']}")
    assert ">Join waitlist</button>" in page.text
