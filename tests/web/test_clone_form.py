"""The web clone form: the next free slot it proposes (in the host's zone, across daylight-saving changes,
past a week the host already filled), and carrying players over with a deadline — or a sentence when the
deadline cannot work, the form kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.games.conftest import create_game as create_by_api
from tests.web.conftest import Login, csrf_form
from tests.world import World

BERLIN = "Europe/Berlin"


def _proposed(page: httpx.Response) -> datetime:
    return datetime.fromisoformat(page.text.split('name="scheduled_at" value="')[1].split('"')[0])


@pytest.mark.parametrize(
    ("source", "proposed"),
    [
        # Sunday 21 March 2027, 19:00 CET → Sunday 28 March, 19:00 CEST (clocks went forward that night)
        (datetime(2027, 3, 21, 18, 0, tzinfo=UTC), datetime(2027, 3, 28, 17, 0, tzinfo=UTC)),
        # Sunday 24 October 2027, 19:00 CEST → Sunday 31 October, 19:00 CET (clocks went back that night)
        (datetime(2027, 10, 24, 17, 0, tzinfo=UTC), datetime(2027, 10, 31, 18, 0, tzinfo=UTC)),
    ],
)
async def test_the_clone_keeps_the_hosts_local_time_across_a_daylight_saving_change(
    world: World, login: Login, source: datetime, proposed: datetime
) -> None:
    alice = await login("alice")
    game = await create_by_api(alice, world, scheduled_at=source.isoformat(), time_zone=BERLIN)
    assert game["time_zone"] == BERLIN
    page = await alice.get("/games/new", params={"from": game["id"]})
    assert page.status_code == 200
    assert _proposed(page) == proposed


async def test_the_clone_skips_a_week_the_host_already_has_a_game_in_that_channel(
    world: World, login: Login
) -> None:
    alice = await login("alice")
    when = datetime(2027, 5, 2, 17, 0, tzinfo=UTC)
    game = await create_by_api(alice, world, scheduled_at=when.isoformat(), time_zone=BERLIN)
    await create_by_api(
        alice, world, title="Already there", scheduled_at=(when + timedelta(days=7)).isoformat()
    )
    elsewhere = {"channel_id": str(world.channel_id("rpg"))}  # another channel's game does not count
    await create_by_api(alice, world, scheduled_at=(when + timedelta(days=14)).isoformat(), **elsewhere)
    page = await alice.get("/games/new", params={"from": game["id"]})
    assert _proposed(page) == when + timedelta(days=14)


def _clone_form(world: World, source: dict[str, Any], **fields: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "guild_id": str(world.guild_id()),
        "channel_id": str(world.channel_id("board-games")),
        "title": "Catan night, again",
        "scheduled_at": (datetime.now(UTC) + timedelta(days=9)).replace(microsecond=0).isoformat(),
        "submission": uuid.uuid4().hex,
        "clone_from": source["id"],
        "carry_confirmed": "deadline",
        "carry_waitlist": "yes",
        "max_players": "1",
    }
    form.update(fields)
    return form


async def _source(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    return await create_by_api(client, world, max_players=1, initial_participants=["@bob", "@carol"])


async def test_a_clone_with_a_deadline_holds_the_carried_seats_pending(world: World, login: Login) -> None:
    alice = await login("alice")
    source = await _source(alice, world)
    deadline = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)
    form = _clone_form(world, source, confirm_by=deadline.isoformat())
    response = await alice.post("/games/new", data=await csrf_form(alice, form))
    assert response.status_code == 303, response.text[:2000]
    clone = (await alice.get(f"/api/v1{response.headers['location']}")).json()
    assert [(p["display_name"], p["status"], p["confirm_by"] is not None) for p in clone["participants"]] == [
        ("Bobby", "confirmed", True),
        ("Carol Chen", "waitlisted", False),
    ]
    page = await alice.get(response.headers["location"])
    assert "to confirm by" in page.text.split('id="confirmed"')[1].split("</ol>")[0]
    edit = await alice.get(f"{response.headers['location']}/edit")  # the host's roster tools say it too
    assert edit.text.count("to confirm by") == 1


@pytest.mark.parametrize(
    ("confirm_by", "sentence"),
    [
        ("", "Pick the time by which carried players must confirm."),
        ("2020-01-01T10:00:00+00:00", "The confirmation deadline must be in the future."),
        (
            (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            "The confirmation deadline must be before the game starts.",
        ),
    ],
    # Fixed ids: one made of datetime.now() differs between pytest-xdist workers, which refuse to start.
    ids=["missing", "past", "after_the_start"],
)
async def test_a_deadline_that_cannot_work_comes_back_as_a_sentence_with_the_form_kept(
    world: World, login: Login, confirm_by: str, sentence: str
) -> None:
    alice = await login("alice")
    source = await _source(alice, world)
    form = _clone_form(world, source, confirm_by=confirm_by)
    response = await alice.post("/games/new", data=await csrf_form(alice, form))
    assert response.status_code == 422
    assert sentence in response.text
    assert 'value="Catan night, again"' in response.text
    assert 'id="carry_confirmed_deadline" value="deadline" checked' in response.text


async def test_a_carried_player_confirms_on_the_games_page(world: World, login: Login) -> None:
    alice, bob = await login("alice"), await login("bob")
    source = await _source(alice, world)
    deadline = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)
    form = _clone_form(world, source, confirm_by=deadline.isoformat())
    created = await alice.post("/games/new", data=await csrf_form(alice, form))
    game_path = created.headers["location"]
    before = await bob.get(game_path)
    assert 'id="confirm-note"' in before.text and 'id="confirm-button"' in before.text

    confirmed = await bob.post(f"{game_path}/confirm", data=await csrf_form(bob, {}))
    assert confirmed.status_code == 303
    after = await bob.get(game_path)
    assert 'id="confirm-button"' not in after.text and "to confirm by" not in after.text
