"""Hostile input to the games API gets a 4xx with a sentence, never an unhandled 500: NUL bytes, ids beyond
64 bits, times at the end of the calendar, deeply nested JSON, invisible titles, bidi controls, lax JSON
types and roles of another server."""

from __future__ import annotations

from typing import Any

import httpx

from tests.games.conftest import Login, create_game, game_body
from tests.world import World

TOO_BIG = "99999999999999999999"  # 20 digits: beyond PostgreSQL's BIGINT
JUST_TOO_BIG = str(2**63)
BIGGEST = str(2**63 - 1)


def refused(response: httpx.Response, field: str, status: int = 422) -> dict[str, Any]:
    """The documented error body, naming ``field``, with a sentence (no regex, no traceback)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["field"] == field, body
    assert body["message"] and "regex" not in body["message"] and "Traceback" not in body["message"]
    return dict(body)


async def test_ids_beyond_64_bits_are_refused_with_the_field(world: World, login: Login) -> None:
    alice = await login("alice")
    for field in ("channel_id", "guild_id", "host_id"):
        for value in (TOO_BIG, JUST_TOO_BIG, "0", "007"):
            body = refused(await alice.post("/api/v1/games", json=game_body(world, **{field: value})), field)
            assert "Discord id" in body["message"]
    roles = await alice.post("/api/v1/games", json=game_body(world, notify_role_ids=[TOO_BIG]))
    assert refused(roles, "notify_role_ids")["message"].startswith("notify_role_ids")
    # The largest id fits: it is simply not a channel of this server.
    biggest = await alice.post("/api/v1/games", json=game_body(world, channel_id=BIGGEST))
    assert biggest.status_code == 404, biggest.text

    game = await create_game(alice, world)
    refused(await alice.patch(f"/api/v1/games/{game['id']}", json={"channel_id": TOO_BIG}), "channel_id")
    refused(
        await alice.patch(f"/api/v1/games/{game['id']}", json={"player_role_ids": [TOO_BIG]}),
        "player_role_ids",
    )
    for name in ("channel_id", "guild_id"):
        listed = await alice.get("/api/v1/games", params={name: TOO_BIG})
        assert listed.status_code == 422, listed.text
        assert listed.json()["field"] == name and "Discord id" in listed.json()["message"]
    mention = await alice.post(f"/api/v1/games/{game['id']}/participants", json={"mention": f"<@{TOO_BIG}>"})
    assert mention.status_code == 422 and mention.json()["error"] == "invalid_mentions", mention.text
