"""Group commit of Join clicks: batches form while the previous one is written, keep arrival order, and a
refused click fails alone — first with a stand-in writer, then through the real service and database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text as sql

from gamesched.app import App
from gamesched.core.clock import FakeClock
from gamesched.core.errors import Conflict, Forbidden
from gamesched.games.signup_batches import SignupBatches, SignupClick
from tests.games.conftest import create_game
from tests.login import login_as
from tests.world import World


class Access:
    """The part of GuildAccess the batcher carries around."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.guild_id = 1


class GatedWriter:
    """Records each batch and holds it until the test opens the gate (no sleeping, no clock)."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gates: list[asyncio.Event] = []
        self.started = asyncio.Event()
        self.second = asyncio.Event()

    async def __call__(self, game_id: uuid.UUID, clicks: Sequence[SignupClick]) -> None:
        self.batches.append([c.access.user_id for c in clicks])
        gate = asyncio.Event()
        self.gates.append(gate)
        self.started.set()
        if len(self.gates) == 2:
            self.second.set()
        await gate.wait()
        for click in clicks:
            if click.access.user_id == 13:
                click.answer.set_exception(Forbidden("not you"))
            else:
                click.answer.set_result(("game", click.access.user_id))  # type: ignore[arg-type]


async def test_clicks_arriving_during_a_write_go_together_into_the_next_batch_in_order() -> None:
    writer = GatedWriter()
    batches = SignupBatches(writer)
    game = uuid.uuid4()
    first = asyncio.create_task(batches.join(game, Access(1)))  # type: ignore[arg-type]
    await writer.started.wait()
    later = [asyncio.create_task(batches.join(game, Access(u))) for u in (2, 13, 3, 4)]  # type: ignore[arg-type]
    await asyncio.sleep(0)  # let them queue behind the first batch
    writer.gates[0].set()
    assert await first == ("game", 1)
    await writer.second.wait()
    writer.gates[1].set()
    answers = await asyncio.gather(*later, return_exceptions=True)

    assert writer.batches == [[1], [2, 13, 3, 4]]
    assert answers[0] == ("game", 2) and answers[2:] == [("game", 3), ("game", 4)]
    assert isinstance(answers[1], Forbidden)  # the refused click fails alone


async def test_a_failed_transaction_answers_every_click_of_its_batch_and_the_next_batch_still_runs() -> None:
    calls: list[list[int]] = []

    async def flaky(game_id: uuid.UUID, clicks: Sequence[SignupClick]) -> None:
        calls.append([c.access.user_id for c in clicks])
        if len(calls) == 1:
            raise RuntimeError("database went away")
        for click in clicks:
            click.answer.set_result(("game", click.access.user_id))  # type: ignore[arg-type]

    batches = SignupBatches(flaky)
    game = uuid.uuid4()
    with pytest.raises(RuntimeError):
        await batches.join(game, Access(1))  # type: ignore[arg-type]
    assert await batches.join(game, Access(2)) == ("game", 2)  # type: ignore[arg-type]
    assert calls == [[1], [2]]


async def _members(app: App, count: int) -> list[str]:
    async with httpx.AsyncClient(base_url=f"{app.base_url}/sandbox/api") as control:
        world = (await control.get("/world")).json()
        guild = next(g["id"] for g in world["guilds"] if g["name"] == "Sandbox Guild")
        ids = []
        for n in range(count):
            user = (await control.post("/users", json={"username": f"batcher{n}"})).json()
            await control.put(f"/guilds/{guild}/members/{user['id']}", json={})
            ids.append(user["id"])
        return ids


async def test_a_burst_through_the_service_is_exact_and_a_refused_click_fails_alone(
    games_app: App, world: World
) -> None:
    player_role = world.role_id("Player")
    async with await login_as(games_app.base_url, "alice") as alice:
        game = await create_game(alice, world, max_players=3, player_role_ids=[str(player_role)])
    members = await _members(games_app, 5)
    async with httpx.AsyncClient(base_url=f"{games_app.base_url}/sandbox/api") as control:
        for user_id in members[:4]:  # the fifth has no Player role
            await control.put(
                f"/guilds/{world.guild_id()}/members/{user_id}", json={"roles": [str(player_role)]}
            )
    signups = games_app.games.signups
    clickers = [*members, members[0]]  # the first one clicks twice

    async def click(user_id: str) -> Any:
        return await signups.take_seat(game["id"], int(user_id))

    seats = await asyncio.gather(*(click(u) for u in clickers), return_exceptions=True)

    assert isinstance(seats[4], Forbidden)
    placed = [(s.status, s.position) for s in seats[:4]]
    assert sorted(placed) == [("confirmed", 1), ("confirmed", 2), ("confirmed", 3), ("waitlisted", 1)]
    assert seats[5] == seats[0]  # clicking twice reports the same seat
    stored = await signups.join(game["id"], int(world.user_id("alice")))
    assert (stored.confirmed_count, stored.waitlist_count) == (3, 2)  # alice is the second waitlisted


async def test_joins_and_leaves_mix_in_one_batch_in_click_order(games_app: App, world: World) -> None:
    async with await login_as(games_app.base_url, "alice") as alice:
        game = await create_game(alice, world, max_players=2)
    first, second, third, fourth = (int(u) for u in await _members(games_app, 4))
    signups = games_app.games.signups
    await signups.join(game["id"], first)
    await signups.join(game["id"], second)  # the game is full
    gid, _ = await signups._enter(game["id"], first)
    access = {user: (await signups._enter(game["id"], user))[1] for user in (first, third, fourth)}
    async with games_app.db.uow(bypass_rls=True) as uow:
        mark = (await uow.session.execute(sql("SELECT coalesce(max(id), 0) FROM jobs"))).scalar_one()

    # Clicks that arrive together, in this order: one batch. The third joins the waitlist, the first
    # leaves (the third takes her seat), the fourth joins behind, the first leaves again (refused alone),
    # the fourth leaves.
    clicks = [
        asyncio.create_task(signups.batches.join(gid, access[third])),
        asyncio.create_task(signups.batches.leave(gid, access[first])),
        asyncio.create_task(signups.batches.join(gid, access[fourth])),
        asyncio.create_task(signups.batches.leave(gid, access[first])),
        asyncio.create_task(signups.batches.leave(gid, access[fourth])),
    ]
    outcomes = await asyncio.gather(*clicks, return_exceptions=True)

    refused = outcomes[3]
    assert isinstance(refused, Conflict) and refused.code == "not_a_participant"
    assert all(not isinstance(o, BaseException) for i, o in enumerate(outcomes) if i != 3)
    final = await games_app.games.queries.snapshot(game["id"], guild_id=world.guild_id())
    assert [(p.discord_id, p.status) for p in final.participants] == [
        (str(second), "confirmed"),
        (str(third), "confirmed"),
    ]
    async with games_app.db.uow(bypass_rls=True) as uow:
        rows = (
            await uow.session.execute(
                sql(
                    "SELECT DISTINCT ON (payload->>'event_id') id, split_part(kind, '.', 2) AS event,"
                    " payload->>'user_id' AS user_id FROM jobs"
                    " WHERE id > :mark AND kind LIKE 'event.Player%' ORDER BY payload->>'event_id', id"
                ),
                {"mark": mark},
            )
        ).all()
    happened = [(r.event, int(r.user_id)) for r in sorted(rows, key=lambda r: r.id)]
    assert happened == [
        ("PlayerJoined", third),
        ("PlayerLeft", first),
        ("PlayerJoined", fourth),
        ("PlayerLeft", fourth),
    ]


async def test_a_batch_whose_every_click_is_refused_changes_nothing(games_app: App, world: World) -> None:
    async with await login_as(games_app.base_url, "alice") as alice:
        game = await create_game(alice, world, max_players=3, player_role_ids=[str(world.role_id("Player"))])
    outsiders = [int(u) for u in await _members(games_app, 2)]  # neither has the Player role
    signups = games_app.games.signups
    gid, _ = await signups._enter(game["id"], outsiders[0])
    access = [(await signups._enter(game["id"], user))[1] for user in outsiders]

    async def stamp_and_jobs() -> tuple[Any, int]:
        async with games_app.db.uow(bypass_rls=True) as uow:
            stamp = (
                await uow.session.execute(sql("SELECT updated_at FROM games WHERE id = :id"), {"id": gid})
            ).scalar_one()
            jobs = (await uow.session.execute(sql("SELECT count(*) FROM jobs"))).scalar_one()
        return stamp, jobs

    before = await stamp_and_jobs()
    outcomes = await asyncio.gather(*(signups.batches.join(gid, a) for a in access), return_exceptions=True)

    assert [type(o) for o in outcomes] == [Forbidden, Forbidden]
    assert all("Player" in str(o) for o in outcomes), outcomes
    assert await stamp_and_jobs() == before, "rolled back: not even the roster's time stamp moved"


async def test_joins_of_one_batch_at_the_same_instant_are_written_in_click_order(
    games_app: App, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch writes its joins in one statement; with equal join times, the database's insert counter
    (``seq``) alone orders them, so it must number them as they came."""
    async with await login_as(games_app.base_url, "alice") as alice:
        game = await create_game(alice, world, max_players=2)
    members = [int(u) for u in await _members(games_app, 5)]
    signups = games_app.games.signups
    gid, _ = await signups._enter(game["id"], members[0])
    access = [(await signups._enter(game["id"], user))[1] for user in members]
    monkeypatch.setattr(signups, "clock", FakeClock(datetime.now(UTC)))  # every join at the same instant

    done = await asyncio.gather(*(signups.batches.join(gid, a) for a in access))

    assert len({id(snapshot) for snapshot in done}) == 1, "one batch"
    answered = [done[0].seats[user] for user in members]
    assert answered == [
        ("confirmed", 1),
        ("confirmed", 2),
        ("waitlisted", 1),
        ("waitlisted", 2),
        ("waitlisted", 3),
    ]
    stored = await games_app.games.queries.snapshot(game["id"], guild_id=world.guild_id())
    assert [int(p.discord_id) for p in stored.participants] == members
    async with games_app.db.uow(bypass_rls=True) as uow:
        written = (
            await uow.session.execute(
                sql("SELECT user_id, joined_at FROM participants WHERE game_id = :id ORDER BY seq"),
                {"id": gid},
            )
        ).all()
    assert [row.user_id for row in written] == members
    assert len({row.joined_at for row in written}) == 1
