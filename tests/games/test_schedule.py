"""Reminders and status transitions as queue rows, with an injected clock and the real bot in the sandbox."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from gamesched.app import App
from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from gamesched.core.queue import NewJob
from gamesched.games.schedule import REMINDER, REMINDER_LEAD
from tests.conftest import serving, wait_for_discord
from tests.games.conftest import create_game
from tests.login import login_as
from tests.world import World, fetch_world


@pytest.fixture
async def clock() -> FakeClock:  # starts at the real time: the sandbox's OAuth and gateway use real time
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def timed_app(app_settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    async with serving(app_settings.with_overrides(sandbox=True), clock=clock) as app:
        await wait_for_discord(app)
        yield app


@pytest.fixture
async def world(timed_app: App) -> World:
    return await fetch_world(timed_app.base_url)


def at(clock: FakeClock, **delta: float) -> str:
    return (clock.now() + timedelta(**delta)).isoformat()


def schedule_of(game: dict[str, Any]) -> list[tuple[str, int | None, str]]:
    return [(item["kind"], item["reminder_minutes"], item["due_at"]) for item in game["schedule"]]


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def get_game(client: httpx.AsyncClient, game_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/games/{game_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def dms(app: App, user_id: int) -> list[str]:
    """The reminder DMs a user received (other DMs, like the join DM, are not counted)."""
    async with httpx.AsyncClient(base_url=app.base_url) as client:
        messages = (await client.get(f"/sandbox/api/users/{user_id}/dms")).json()
    return [m["content"] for m in messages if m["content"].startswith("⏰")]


async def run_due_and_settle(app: App, *, settle: float = 0.6) -> None:
    """Run what is due at the fake time, then let DM jobs it queued reach the sandbox."""
    await app.dispatcher.run_due()
    await asyncio.sleep(settle)
    await app.dispatcher.run_due()


async def test_join_dm_waits_for_its_delay_and_leaving_first_sends_nothing(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    bob, erin = world.user_id("bob"), world.user_id("erin")
    async with await login_as(timed_app.base_url, "alice") as alice:
        game = await create_game(alice, world, scheduled_at=at(clock, days=1), reminder_minutes=[])
    async with await login_as(timed_app.base_url, "bob") as bob_client:
        await bob_client.post(f"/api/v1/games/{game['id']}/join")
    async with await login_as(timed_app.base_url, "erin") as erin_client:
        await erin_client.post(f"/api/v1/games/{game['id']}/join")
        await timed_app.dispatcher.run_due()  # the joins' events plan the DMs at the time of joining
        clock.advance(seconds=30)
        await run_due_and_settle(timed_app)
        await erin_client.post(f"/api/v1/games/{game['id']}/leave")
    assert await all_dms(timed_app, bob) == [], "the join DM waits for its delay"
    clock.advance(seconds=31)
    await run_due_and_settle(timed_app)
    for _ in range(50):
        if await all_dms(timed_app, bob):
            break
        await asyncio.sleep(0.1)
    assert len(await all_dms(timed_app, bob)) == 1
    assert "Catan night" in (await all_dms(timed_app, bob))[0]
    assert await all_dms(timed_app, erin) == [], "left within the delay: no join DM and no leave DM"


async def all_dms(app: App, user_id: int) -> list[str]:
    async with httpx.AsyncClient(base_url=app.base_url) as client:
        return [m["content"] for m in (await client.get(f"/sandbox/api/users/{user_id}/dms")).json()]


async def test_reminders_and_transitions_follow_the_game(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    async with await login_as(timed_app.base_url, "alice") as alice:
        game = await create_game(alice, world, scheduled_at=at(clock, hours=2), reminder_minutes=[15, 60])
        start = clock.now() + timedelta(hours=2)
        expected = [
            ("reminder", 60, start - timedelta(minutes=60)),
            ("reminder", 15, start - timedelta(minutes=15)),
            ("start", None, start),
            ("complete", None, start + timedelta(minutes=60)),
        ]
        got = await get_game(alice, game["id"])
        assert [(k, m, datetime.fromisoformat(d)) for k, m, d in schedule_of(got)] == expected

        moved = start + timedelta(days=1)
        edited = await alice.patch(
            f"/api/v1/games/{game['id']}",
            json={"scheduled_at": moved.isoformat(), "reminder_minutes": [30], "duration_minutes": 90},
        )
        assert edited.status_code == 200, edited.text
        got = await get_game(alice, game["id"])
        assert [(k, m, datetime.fromisoformat(d)) for k, m, d in schedule_of(got)] == [
            ("reminder", 30, moved - timedelta(minutes=30)),
            ("start", None, moved),
            ("complete", None, moved + timedelta(minutes=90)),
        ]

        await alice.delete(f"/api/v1/games/{game['id']}")
        assert (await get_game(alice, game["id"]))["schedule"] == []


async def test_a_reminder_already_past_at_creation_is_skipped(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    async with await login_as(timed_app.base_url, "alice") as alice:
        game = await create_game(alice, world, scheduled_at=at(clock, minutes=30), reminder_minutes=[60, 15])
        kinds = [(k, m) for k, m, _ in schedule_of(await get_game(alice, game["id"]))]
    assert kinds == [("reminder", 15), ("start", None), ("complete", None)]


async def test_reminder_goes_to_confirmed_players_and_host_only(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    ids = {name: world.user_id(name) for name in ("alice", "bob", "dave", "erin", "grace")}
    async with await login_as(timed_app.base_url, "alice") as alice:
        game = await create_game(
            alice,
            world,
            scheduled_at=at(clock, hours=1),
            reminder_minutes=[15],
            max_players=3,
            initial_participants=["@bob", "Reserved", "@dave", "@erin"],
        )
    # grace leaves the guild after joining: she gets nothing.
    async with await login_as(timed_app.base_url, "grace") as grace:
        assert (await grace.post(f"/api/v1/games/{game['id']}/join")).status_code == 200
    async with httpx.AsyncClient(base_url=timed_app.base_url) as control:
        await control.delete(f"/sandbox/api/guilds/{world.guild_id()}/members/{ids['grace']}")

    clock.advance(minutes=45, seconds=1)
    await run_due_and_settle(timed_app)
    for _ in range(50):
        if all([await dms(timed_app, ids[n]) for n in ("alice", "bob", "dave")]):
            break
        await asyncio.sleep(0.1)
    host_dm, bob_dm, dave_dm = [await dms(timed_app, ids[n]) for n in ("alice", "bob", "dave")]
    assert len(host_dm) == 1 and "You're hosting **Catan night**" in host_dm[0]
    assert "2/3 players confirmed" not in host_dm[0] and "3/3 players confirmed" in host_dm[0]
    assert len(bob_dm) == 1 and "You have seat 1 of 3" in bob_dm[0]
    assert len(dave_dm) == 1 and "You have seat 3 of 3" in dave_dm[0]
    assert await dms(timed_app, ids["erin"]) == [], "waitlisted players are not reminded by default"
    assert await dms(timed_app, ids["grace"]) == [], "people who left the server are not reminded"

    await run_due_and_settle(timed_app)  # nothing is sent twice
    assert len(await dms(timed_app, ids["bob"])) == 1


async def test_waitlist_is_reminded_when_the_game_asks(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    erin = world.user_id("erin")
    async with await login_as(timed_app.base_url, "alice") as alice:
        await create_game(
            alice,
            world,
            scheduled_at=at(clock, hours=1),
            reminder_minutes=[10],
            max_players=1,
            initial_participants=["@bob", "@erin"],
            remind_waitlist=True,
        )
    clock.advance(minutes=50, seconds=1)
    await run_due_and_settle(timed_app)
    for _ in range(50):
        if await dms(timed_app, erin):
            break
        await asyncio.sleep(0.1)
    assert ["#1 on the waitlist" in text for text in await dms(timed_app, erin)] == [True]


async def test_game_starts_and_completes_on_time(timed_app: App, world: World, clock: FakeClock) -> None:
    async with await login_as(timed_app.base_url, "alice") as alice:
        game = await create_game(
            alice, world, scheduled_at=at(clock, hours=1), reminder_minutes=[], duration_minutes=120
        )
        clock.advance(hours=1)
        await timed_app.dispatcher.run_due()
        assert (await get_game(alice, game["id"]))["status"] == "in_progress"
    async with await login_as(timed_app.base_url, "bob") as bob:
        late = await bob.post(f"/api/v1/games/{game['id']}/join")
    assert late.status_code == 409
    assert late.json()["message"] == "This game has already started."
    clock.advance(hours=2)
    await timed_app.dispatcher.run_due()
    async with await login_as(timed_app.base_url, "alice") as alice:
        done = await get_game(alice, game["id"])
    assert done["status"] == "completed"
    assert done["schedule"] == []


async def test_a_wave_of_reminders_goes_out_together_and_a_broken_one_fails_alone(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    ids = {name: world.user_id(name) for name in ("bob", "dave", "erin")}
    async with await login_as(timed_app.base_url, "alice") as alice:
        for player in ("bob", "dave", "erin"):
            await create_game(
                alice,
                world,
                title=f"Wave with {player}",
                scheduled_at=at(clock, hours=1),
                reminder_minutes=[15],
                initial_participants=[f"@{player}"],
            )
    # A reminder queued before payloads carried the channel, for a game that is gone since: it cannot be
    # worded, and must not hold back the three real ones due in the same batch.
    guild_id = world.guild_id()
    async with timed_app.db.uow(guild_id=guild_id) as uow:
        await timed_app.queue.enqueue_many(
            uow.session,
            [
                NewJob(
                    REMINDER,
                    {"game_id": str(uuid.uuid4()), "guild_id": str(guild_id), "minutes": 15},
                    due_at=clock.now() + timedelta(minutes=45),
                )
            ],
        )

    clock.advance(minutes=45, seconds=1)
    await run_due_and_settle(timed_app)
    for _ in range(50):
        if all([await dms(timed_app, user_id) for user_id in ids.values()]):
            break
        await asyncio.sleep(0.1)
    for name, user_id in ids.items():
        [reminder] = await dms(timed_app, user_id)
        assert f"**Wave with {name}**" in reminder
    async with timed_app.db.engine.connect() as conn:
        states = (
            await conn.execute(
                text("SELECT state, last_error IS NOT NULL FROM jobs WHERE kind = :kind ORDER BY id"),
                {"kind": REMINDER},
            )
        ).all()
    assert sorted(tuple(row) for row in states) == [("done", False)] * 3 + [("pending", True)]


async def _pending_reminders(app: App) -> list[tuple[str, datetime]]:
    """The reminder DMs queued and not sent yet: (recipient, due)."""
    async with app.db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT payload->>'user_id', due_at FROM jobs"
                " WHERE kind = 'notifications.deliver' AND state = 'pending' AND payload->>'kind' = 'reminder'"
                " ORDER BY payload->>'user_id'"
            )
        )
        return [(user_id, due_at) for user_id, due_at in rows]


async def test_a_reminder_is_worded_ahead_of_its_moment_and_sent_at_it(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    alice, bob = world.user_id("alice"), world.user_id("bob")
    async with await login_as(timed_app.base_url, "alice") as host:
        game = await create_game(
            host, world, scheduled_at=at(clock, hours=1), reminder_minutes=[15], initial_participants=["@bob"]
        )
        moment = clock.now() + timedelta(minutes=45)
        [reminder] = [
            item for item in (await get_game(host, game["id"]))["schedule"] if item["kind"] == "reminder"
        ]
        assert datetime.fromisoformat(reminder["due_at"]) == moment, "the schedule shows the moment"

    clock.advance(minutes=45, seconds=1 - REMINDER_LEAD.total_seconds())
    await run_due_and_settle(timed_app)
    assert await _pending_reminders(timed_app) == sorted([(str(alice), moment), (str(bob), moment)])
    assert await dms(timed_app, bob) == [] and await dms(timed_app, alice) == []

    clock.advance(seconds=REMINDER_LEAD.total_seconds())
    await run_due_and_settle(timed_app)
    for _ in range(50):
        if await dms(timed_app, bob) and await dms(timed_app, alice):
            break
        await asyncio.sleep(0.1)
    [bob_dm] = await dms(timed_app, bob)
    assert "You have seat 1" in bob_dm
    assert len(await dms(timed_app, alice)) == 1
    assert await _pending_reminders(timed_app) == []


async def test_reminders_worded_before_the_game_moved_are_dropped_and_the_new_moment_is_kept(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    bob = world.user_id("bob")
    async with await login_as(timed_app.base_url, "alice") as host:
        game = await create_game(
            host, world, scheduled_at=at(clock, hours=1), reminder_minutes=[15], initial_participants=["@bob"]
        )
        clock.advance(minutes=45, seconds=-1)  # the reminder's DMs are worded, due in a second
        await run_due_and_settle(timed_app)
        assert len(await _pending_reminders(timed_app)) == 2

        moved = clock.now() + timedelta(days=1)
        edited = await host.patch(f"/api/v1/games/{game['id']}", json={"scheduled_at": moved.isoformat()})
        assert edited.status_code == 200, edited.text

    clock.advance(seconds=2)
    await run_due_and_settle(timed_app)
    assert await _pending_reminders(timed_app) == [], "the DMs naming the old start are done, unsent"
    assert await dms(timed_app, bob) == []

    clock.advance(days=1, minutes=-15)
    await run_due_and_settle(timed_app)
    for _ in range(50):
        if await dms(timed_app, bob):
            break
        await asyncio.sleep(0.1)
    [reminder] = await dms(timed_app, bob)
    assert f"<t:{int(moved.timestamp())}:F>" in reminder, reminder


async def test_a_reminder_just_after_the_announcement_is_worded_at_its_moment(
    timed_app: App, world: World, clock: FakeClock
) -> None:
    """Worded ahead, it would read the game before its announcement is posted and miss its link."""
    start = clock.now() + timedelta(hours=2)
    async with await login_as(timed_app.base_url, "alice") as host:
        game = await create_game(
            host,
            world,
            scheduled_at=start.isoformat(),
            post_at=(start - timedelta(minutes=60, seconds=5)).isoformat(),
            reminder_minutes=[60, 30],
        )
    async with timed_app.db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload->>'minutes', due_at FROM jobs WHERE kind = :kind AND dedupe_key LIKE :key"),
            {"kind": REMINDER, "key": f"game:{game['id']}:%"},
        )
        due = {int(minutes): due_at for minutes, due_at in rows}
    assert due == {
        60: start - timedelta(minutes=60),
        30: start - timedelta(minutes=30) - REMINDER_LEAD,
    }
