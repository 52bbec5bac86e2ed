"""Hostile input to the games API gets a 4xx with a sentence, never an unhandled 500: NUL bytes, ids beyond
64 bits, times at the end of the calendar, deeply nested JSON, invisible titles, bidi controls, lax JSON
types and roles of another server."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx

from tests.games.conftest import Login, create_game, game_body, in_days
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


async def test_nul_bytes_in_game_text_are_refused_with_the_field(world: World, login: Login) -> None:
    alice = await login("alice")
    for field in ("title", "description", "location", "signup_instructions"):
        response = await alice.post("/api/v1/games", json=game_body(world, **{field: "Catan\x00night"}))
        body = refused(response, field)
        assert "NUL" in body["message"] or "control character" in body["message"]
    placeholder = await alice.post(
        "/api/v1/games", json=game_body(world, initial_participants=["Res\x00erved"])
    )
    refused(placeholder, "initial_participants")

    game = await create_game(alice, world)
    refused(await alice.patch(f"/api/v1/games/{game['id']}", json={"title": "A\x00"}), "title")
    added = await alice.post(f"/api/v1/games/{game['id']}/participants", json={"placeholder": "G\x00uest"})
    refused(added, "placeholder")
    listed = (await alice.get("/api/v1/games", params={"guild_id": world.guild_id()})).json()
    assert [g["title"] for g in listed["items"]] == ["Catan night"]


async def test_ids_beyond_64_bits_are_refused_with_the_field(world: World, login: Login) -> None:
    alice = await login("alice")
    for field in ("channel_id", "guild_id", "host_id"):
        for value in (TOO_BIG, JUST_TOO_BIG, "0", "007"):
            body = refused(await alice.post("/api/v1/games", json=game_body(world, **{field: value})), field)
            assert "Discord id" in body["message"]
    roles = await alice.post("/api/v1/games", json=game_body(world, notify_role_ids=[TOO_BIG]))
    assert refused(roles, "notify_role_ids")["message"] == (
        f"Each of the notify roles must be a Discord id: a whole number from 1 to {2**63 - 1}."
    )
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


async def test_a_time_at_the_end_of_the_calendar_is_refused_with_a_sentence(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    for when in ("9999-12-31T23:30:00+00:00", "9999-12-31T23:30:00-05:00", in_days(6 * 366)):
        body = refused(
            await alice.post("/api/v1/games", json=game_body(world, scheduled_at=when)), "scheduled_at"
        )
        assert "years ahead" in body["message"]
    game = await create_game(alice, world)
    edited = await alice.patch(
        f"/api/v1/games/{game['id']}", json={"scheduled_at": "9999-12-31T23:30:00+00:00"}
    )
    refused(edited, "scheduled_at")
    in_four_years = await alice.post("/api/v1/games", json=game_body(world, scheduled_at=in_days(4 * 365)))
    assert in_four_years.status_code == 201, in_four_years.text
    end_of_time = f"9999-12-31T23:30:00-05:00|{uuid.UUID(int=0)}".encode()
    after = base64.urlsafe_b64encode(end_of_time).decode().rstrip("=")
    cursor = await alice.get("/api/v1/games", params={"guild_id": world.guild_id(), "after": after})
    assert cursor.status_code == 422 and cursor.json()["field"] == "after", cursor.text


async def test_deeply_nested_json_is_a_400(world: World, login: Login) -> None:
    alice = await login("alice")
    deep = 100_000
    headers = {"content-type": "application/json"}
    for body in (b"[" * deep + b"]" * deep, b'{"title":' + b"[" * deep + b"]" * deep + b"}"):
        response = await alice.post("/api/v1/games", content=body, headers=headers)
        assert response.status_code == 400, response.text[:300]
        assert response.json()["error"] == "bad_request" and response.json()["message"]
    guild = await alice.patch(
        f"/api/v1/guilds/{world.guild_id()}/settings",
        content=b'{"a":' * deep + b"1" + b"}" * deep,
        headers=headers,
    )
    assert guild.status_code == 400, guild.text[:300]
    assert (await alice.get("/health")).status_code == 200


async def test_invisible_titles_are_refused_and_bidi_controls_are_removed(world: World, login: Login) -> None:
    alice = await login("alice")
    for title in ("\u200b\u200d\u2060", "\ufeff \u200b", "\u3164", "\u202e\u2066\u2069"):
        body = refused(await alice.post("/api/v1/games", json=game_body(world, title=title)), "title")
        assert body["message"] == "A game needs a title."
    game = await create_game(
        alice,
        world,
        title="\u200bCatan \u202enight\u202c",
        description="Bring \u2067snacks\u2069",
        location="Dave\u202ds place",
        initial_participants=["Guest \u2066one\u2069"],
    )
    assert game["title"] == "Catan night"
    assert game["description"] == "Bring snacks"
    assert game["location"] == "Daves place"
    assert [p["display_name"] for p in game["participants"]] == ["Guest one"]
    # Joiners inside a word (emoji sequences, Persian) are kept.
    family = await create_game(alice, world, title="Family night \U0001f468\u200d\U0001f469\u200d\U0001f467")
    assert family["title"] == "Family night \U0001f468\u200d\U0001f469\u200d\U0001f467"
    edited = await alice.patch(f"/api/v1/games/{game['id']}", json={"title": "\u200b"})
    refused(edited, "title")


async def test_json_booleans_and_numbers_must_be_json_booleans_and_numbers(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    for field, value in (("remind_waitlist", 0), ("remind_waitlist", "true"), ("max_players", "5")):
        response = await alice.post("/api/v1/games", json=game_body(world, **{field: value}))
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field
    game = await create_game(alice, world, remind_waitlist=True, max_players=5)
    assert game["remind_waitlist"] is True and game["max_players"] == 5
    edited = await alice.patch(f"/api/v1/games/{game['id']}", json={"remind_waitlist": 1})
    assert edited.status_code == 422 and edited.json()["field"] == "remind_waitlist", edited.text


async def test_roles_of_another_server_are_refused_naming_the_field(world: World, login: Login) -> None:
    alice = await login("alice")
    foreign = str(world.role_id("Organizer", guild="Other Guild"))
    player = str(world.role_id("Player"))
    for field in ("player_role_ids", "notify_role_ids"):
        body = refused(
            await alice.post("/api/v1/games", json=game_body(world, **{field: [player, foreign]})), field
        )
        assert foreign in body["message"]
    priority = await alice.post(
        "/api/v1/games", json=game_body(world, signup_method="role_based", priority_role_ids=[foreign])
    )
    refused(priority, "priority_role_ids")

    game = await create_game(alice, world, player_role_ids=[player], notify_role_ids=[player])
    assert game["player_role_ids"] == [player] and game["notify_role_ids"] == [player]
    for field in ("player_role_ids", "notify_role_ids"):
        refused(await alice.patch(f"/api/v1/games/{game['id']}", json={field: [foreign]}), field)
    kept = await alice.patch(f"/api/v1/games/{game['id']}", json={"player_role_ids": [player]})
    assert kept.status_code == 200, kept.text


async def test_a_role_deleted_in_discord_does_not_block_sending_the_game_back(
    world: World, login: Login
) -> None:
    alice, gid = await login("alice"), world.guild_id()
    async with httpx.AsyncClient(base_url=f"{alice.base_url}/sandbox/api") as sandbox:
        temp = (await sandbox.post(f"/guilds/{gid}/roles", json={"name": "Temp", "permissions": "0"})).json()[
            "id"
        ]
        for _ in range(100):  # the bot learns of the new role from the gateway
            if any(r["id"] == temp for r in (await alice.get(f"/api/v1/guilds/{gid}")).json()["roles"]):
                break
            await asyncio.sleep(0.05)
        game = await create_game(alice, world, notify_role_ids=[temp])
        assert (await sandbox.delete(f"/guilds/{gid}/roles/{temp}")).status_code == 204
    for _ in range(100):
        if all(r["id"] != temp for r in (await alice.get(f"/api/v1/guilds/{gid}")).json()["roles"]):
            break
        await asyncio.sleep(0.05)
    player = str(world.role_id("Player"))
    again = await alice.patch(f"/api/v1/games/{game['id']}", json={"notify_role_ids": [temp, player]})
    assert again.status_code == 200, again.text
    refused(
        await alice.patch(f"/api/v1/games/{game['id']}", json={"player_role_ids": [temp]}), "player_role_ids"
    )


async def test_a_body_over_10_mb_is_a_413_with_a_sentence_and_changes_nothing(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    huge = json.dumps(game_body(world, description="x" * 10_500_000)).encode()
    too_large = {"error": "too_large", "message": "The request is too large: send at most 10 MB."}
    announced = await alice.post("/api/v1/games", content=huge, headers={"content-type": "application/json"})
    assert announced.status_code == 413 and announced.json() == too_large, announced.text[:300]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit is counted as it arrives
        for start in range(0, len(huge), 1_000_000):
            yield huge[start : start + 1_000_000]

    streamed = await alice.post(
        "/api/v1/games", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413 and streamed.json() == too_large, streamed.text[:300]
    form = await alice.post(
        "/games/new",
        data={"title": "x" * 10_500_000, "_csrf_token": alice.cookies["csrftoken"]},
        headers={"accept": "text/html"},
    )
    assert form.status_code == 413 and "send at most 10 MB" in form.text, form.text[:300]
    listed = (await alice.get("/api/v1/games", params={"guild_id": world.guild_id()})).json()
    assert listed["items"] == []


async def test_impossible_and_extreme_times_are_refused_with_the_field(world: World, login: Login) -> None:
    alice = await login("alice")
    game = await create_game(alice, world)
    for when in (
        "0001-01-01T00:00:00+00:00",
        "1969-12-31T23:59:59Z",
        "NaN",
        "Infinity",
        "-0001-01-01T00:00:00Z",
        "+275760-09-13T00:00:00Z",
        "2027-02-30T19:00:00Z",
        "2027-13-01T19:00:00Z",
        "2027-06-01T25:00:00Z",
        "2027-06-01T19:00:00+25:00",
        "",
        1e308,
        None,
        [],
    ):
        created = await alice.post("/api/v1/games", json=game_body(world, scheduled_at=when))
        refused(created, "scheduled_at")
        refused(await alice.patch(f"/api/v1/games/{game['id']}", json={"scheduled_at": when}), "scheduled_at")
    for minutes in (-1, 0, 2**63, 1.5, "60", float("1e308")):
        response = await alice.post("/api/v1/games", json=game_body(world, duration_minutes=minutes))
        refused(response, "duration_minutes")
    listed = (await alice.get("/api/v1/games", params={"guild_id": world.guild_id()})).json()
    assert [g["id"] for g in listed["items"]] == [game["id"]]


async def test_mentions_with_invisible_bidi_and_emoji_characters_get_a_sentence(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    game = await create_game(alice, world)
    unmatched = "1 mention could not be matched to exactly one member of this server."
    for mention, found in (
        ("@\u202ebob", True),  # a bidi control is removed, as from every text
        ("@bob\ufeff", True),  # a byte order mark too
        ("@b\u200bob", False),  # a zero-width space splits the name: no such member, said so
        ("@\U0001f3b2", False),
        ("@" + "\u200b" * 40, False),
        ("<@\u0661\u0662>", False),  # Arabic-Indic digits are no Discord id
    ):
        response = await alice.post(f"/api/v1/games/{game['id']}/participants", json={"mention": mention})
        body = response.json()
        if not found:
            assert response.status_code == 422 and body["message"] == unmatched, (mention, body)
            continue
        assert response.status_code == 201, (mention, response.text)
        [bob] = [p for p in body["participants"] if p["discord_id"]]
        assert bob["display_name"] == "Bobby", body
        gone = await alice.delete(f"/api/v1/games/{game['id']}/participants/{bob['id']}")
        assert gone.status_code == 200, gone.text
    created = await create_game(alice, world, initial_participants=["@\u202ebob\u202c", "Guest \U0001f3b2"])
    assert [p["display_name"] for p in created["participants"]] == ["Bobby", "Guest \U0001f3b2"]
