"""Cancelling with a reason, and the answer to a host's change saying how many people were told (JSON API)."""

from __future__ import annotations

from tests.games.conftest import Login, create_game, in_days
from tests.world import World


async def test_cancel_with_a_reason_keeps_it_and_says_who_was_told(world: World, login: Login) -> None:
    alice, bob = await login("alice"), await login("bob")
    game = await create_game(alice, world, initial_participants=["@dave"])
    await bob.post(f"/api/v1/games/{game['id']}/join")

    cancelled = await alice.request(
        "DELETE", f"/api/v1/games/{game['id']}", json={"reason": "  The host is ill.\r\nNext week!  "}
    )

    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled"
    assert body["cancel_reason"] == "The host is ill.\nNext week!"
    assert body["told"] == 2  # Dave and Bob; Alice cancelled it herself
    seen = (await bob.get(f"/api/v1/games/{game['id']}")).json()
    assert seen["cancel_reason"] == "The host is ill.\nNext week!"
    assert "told" not in seen


async def test_cancel_without_a_body_still_works(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world)

    cancelled = await alice.delete(f"/api/v1/games/{game['id']}")

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancel_reason"] == ""
    assert cancelled.json()["told"] == 0


async def test_cancel_reason_too_long_or_unknown_fields_are_422_in_words(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world)

    long = await alice.request("DELETE", f"/api/v1/games/{game['id']}", json={"reason": "x" * 501})
    unknown = await alice.request("DELETE", f"/api/v1/games/{game['id']}", json={"why": "ill"})

    assert long.status_code == 422, long.text
    assert long.json()["field"] == "reason" and "500" in long.json()["message"]
    assert unknown.status_code == 422, unknown.text
    still = (await alice.get(f"/api/v1/games/{game['id']}")).json()
    assert still["status"] == "scheduled"


async def test_edit_and_roster_answers_count_the_people_told(world: World, login: Login) -> None:
    alice, bob = await login("alice"), await login("bob")
    game = await create_game(alice, world, initial_participants=["@dave"], max_players=2)
    await bob.post(f"/api/v1/games/{game['id']}/join")
    path = f"/api/v1/games/{game['id']}"

    retitled = await alice.patch(path, json={"title": "Catan, again"})
    moved = await alice.patch(path, json={"scheduled_at": in_days(3)})
    added = await alice.post(f"{path}/participants", json={"mention": "@erin"})
    placeholder = await alice.post(f"{path}/participants", json={"placeholder": "Guest"})

    assert retitled.json()["told"] == 0  # a new title is no news worth a DM
    assert moved.json()["told"] == 2  # Dave and Bob hear about the new time
    # Erin goes ahead of Bob (host-added first): Erin hears she is in, Bob that he is on the waitlist.
    assert added.status_code == 201, added.text
    assert added.json()["told"] == 2
    assert placeholder.json()["told"] == 0
