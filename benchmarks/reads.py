"""Reading one game and one page of games in a big guild: does the cost depend on the guild's size?

The sandbox Discord (``gamesched sandbox``, rate limits off) and the app (``gamesched run`` on a fresh
database) each run in their own process; this process seeds "Sandbox Guild" with bulk SQL up to each size (1,000 / 10,000 / 100,000 games by
default), logs alice in through the sandbox OAuth, and measures these reads with 16 concurrent clients, each
a kept-alive HTTP/1.1 connection (``KeepAliveClient``: the load generator costs the shared cores little, as
remote browsers would; ``--client httpx`` for the heavier client of earlier figures):

* ``GET /api/v1/games/{id}`` — one game with 50 participants (40 seats, 10 waitlisted);
* ``GET /api/v1/games?guild_id=…&limit=25`` — the first page of the guild's games;
* ``GET /games/{id}`` — the game's dashboard page;
* ``GET /health`` — the floor: the same HTTP stack and one ``SELECT 1``, no game read at all.

Per size: three runs of each read, p50/p95/p99 over all of them. The seeded guild looks like a long-lived
one: 70 % of its games are over, 25 % are still to come (with their reminders and transitions pending in
``jobs``, as the app writes them), 5 % were cancelled; each has 0-5 players and an announcement.

``--deep`` adds the guild's last page two ways: ``offset=N-25``, and ``after=`` the ``next_cursor`` of
the page before it.

``python -m benchmarks.reads`` (also part of ``make bench``); ``--quick`` for a short run (1,000 and
10,000 games, fewer requests); ``--sizes 1000,100000``, ``--requests N`` and ``--clients N`` to choose.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import asyncpg
import httpx

from benchmarks import record
from benchmarks.footprint import footprint
from benchmarks.harness import app_process, fresh_database, percentile, sandbox_process, summary
from tests.db import asyncpg_url
from tests.login import login_as

SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
CLIENTS = 16
RUNS = 3
REQUESTS = 400  # per read, per run
QUICK_REQUESTS = 150
WARMUP = 48
#: App CPU per read in ms, by (size, read), filled in by ``run``.
CPU: dict[tuple[int, str], float] = {}
TARGET_PLAYERS = 50
TARGET_SEATS = 40
EXTRA_MEMBERS = 45  # sandbox users added to the guild, so the 50 players are real members


@dataclass
class Guild:
    id: int
    channel_ids: list[int]
    member_ids: list[int]
    host_ids: list[int]


async def prepare_world(sandbox: str) -> Guild:
    """45 more members in Sandbox Guild (the sandbox's rate limits are off); the guild's ids."""
    async with httpx.AsyncClient(base_url=f"{sandbox}/sandbox/api", timeout=10) as api:
        world = (await api.get("/world")).json()
        guild = next(g for g in world["guilds"] if g["name"] == "Sandbox Guild")
        for n in range(EXTRA_MEMBERS):
            user = (
                await api.post("/users", json={"username": f"player{n:02d}", "global_name": f"Player {n}"})
            ).json()
            (await api.put(f"/guilds/{guild['id']}/members/{user['id']}", json={})).raise_for_status()
        world = (await api.get("/world")).json()
    guild = next(g for g in world["guilds"] if g["name"] == "Sandbox Guild")
    bot_id = int(world["bot_user"]["id"])
    members = [int(m["user_id"]) for m in guild["members"] if int(m["user_id"]) != bot_id]
    usernames = {int(u["id"]): u["username"] for u in world["users"]}
    return Guild(
        id=int(guild["id"]),
        channel_ids=[int(c["id"]) for c in guild["channels"] if c["type"] in (0, 5)],
        member_ids=sorted(members),
        host_ids=[uid for uid in members if usernames.get(uid) in ("alice", "bob", "heidi")],
    )


# -- seeding ---------------------------------------------------------------------------------------

_SOURCES = (
    '{"max_players": "guild", "reminder_minutes": "default", "signup_instructions": "default",'
    ' "player_role_ids": "default"}'
)

#: Games numbered ``$2 .. $3`` in guild $1: each row's kind follows from its number, so seeding in steps
#: (to 1k, then 10k, then 100k) gives the same guild as seeding at once. Participants and the pending
#: jobs of upcoming games are written in the same statement, as the app would have written them.
_SEED_GAMES = f"""
WITH src AS MATERIALIZED (
    SELECT gen_random_uuid() AS id, i,
           CASE WHEN i % 20 < 14 THEN 'completed' WHEN i % 20 < 19 THEN 'scheduled' ELSE 'cancelled' END
               AS status,
           CASE WHEN i % 20 < 14 THEN now() - make_interval(hours => 2 + (i * 7) % 40000)
                ELSE now() + make_interval(hours => 2 + (i * 7) % 8000) END AS scheduled_at,
           now() - make_interval(hours => 24 + (i * 7) % 40000) AS created_at
    FROM generate_series($2::int, $3::int) AS i
), games_in AS (
    INSERT INTO games (id, guild_id, channel_id, host_id, title, description, scheduled_at,
                       duration_minutes, max_players, reminder_minutes, signup_instructions, location,
                       signup_method, status, settings_sources, message_id, version, created_at,
                       updated_at, cancelled_at)
    SELECT id, $1, ($4::bigint[])[1 + i % cardinality($4::bigint[])],
           ($5::bigint[])[1 + i % cardinality($5::bigint[])], 'Game night #' || i,
           'Seeded for the read benchmark.', scheduled_at, 180, 6, '{{60,15}}', '', '',
           'self_signup', status, '{_SOURCES}'::jsonb, 1000000000000000000 + i, 1, created_at,
           created_at, CASE WHEN status = 'cancelled' THEN created_at END
    FROM src
    RETURNING id
), players AS (
    INSERT INTO participants (game_id, guild_id, user_id, position_type, position, joined_at)
    SELECT src.id, $1, ($6::bigint[])[1 + (src.i + k) % cardinality($6::bigint[])], 3, 0,
           src.created_at + make_interval(mins => k)
    FROM src CROSS JOIN LATERAL generate_series(0, src.i % 6 - 1) AS k
    RETURNING 1
), timed AS (
    INSERT INTO jobs (kind, payload, due_at, dedupe_key)
    SELECT j.kind,
           jsonb_build_object('game_id', src.id::text, 'guild_id', $1::bigint)
               || CASE WHEN j.minutes IS NULL THEN '{{}}'::jsonb
                       ELSE jsonb_build_object('minutes', j.minutes) END,
           src.scheduled_at + j.offset_, 'game:' || src.id || ':' || j.suffix
    FROM src CROSS JOIN (VALUES
        ('games.send_reminders', 60, interval '-60 minutes', 'reminder:60'),
        ('games.send_reminders', 15, interval '-15 minutes', 'reminder:15'),
        ('games.start', NULL, interval '0', 'start'),
        ('games.complete', NULL, interval '180 minutes', 'complete')
    ) AS j(kind, minutes, offset_, suffix)
    WHERE src.status = 'scheduled'
    RETURNING 1
)
SELECT (SELECT count(*) FROM games_in), (SELECT count(*) FROM players), (SELECT count(*) FROM timed)
"""


async def _wait_until_synced(conn: asyncpg.Connection, guild: Guild) -> None:
    """The bot records the guild and its channels once connected; games need those rows."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = await conn.fetchval(
            "SELECT count(*) FROM channels WHERE guild_id = $1 AND id = ANY($2::bigint[])",
            guild.id,
            guild.channel_ids,
        )
        if found == len(guild.channel_ids):
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("the guild's channels were not recorded within 30 s")


async def seed_target(conn: asyncpg.Connection, guild: Guild) -> str:
    """The game that is read: upcoming, 40 seats, 50 players (10 waitlisted), announced."""
    players = guild.member_ids[:TARGET_PLAYERS]
    assert len(players) == TARGET_PLAYERS, f"only {len(players)} members"
    async with conn.transaction():
        await conn.execute("SELECT set_config('app.bypass_rls', 'on', true)")
        game_id = await conn.fetchval(
            f"""
            INSERT INTO games (guild_id, channel_id, host_id, title, description, scheduled_at,
                               duration_minutes, max_players, reminder_minutes, signup_method, status,
                               settings_sources, message_id, created_at, updated_at)
            VALUES ($1, $2, $3, 'The big campaign', 'Fifty players, forty seats.',
                    now() + interval '3 days', 240, {TARGET_SEATS}, '{{60,15}}', 'self_signup',
                    'scheduled', '{_SOURCES}'::jsonb, 999999999999999999, now(), now())
            RETURNING id::text
            """,
            guild.id,
            guild.channel_ids[0],
            guild.host_ids[0],
        )
        await conn.execute(
            """
            INSERT INTO participants (game_id, guild_id, user_id, position_type, position, joined_at)
            SELECT $1::uuid, $2, u, 3, 0, now() - make_interval(mins => n::int)
            FROM unnest($3::bigint[]) WITH ORDINALITY AS t(u, n)
            """,
            game_id,
            guild.id,
            players,
        )
        await conn.execute(
            """
            INSERT INTO jobs (kind, payload, due_at, dedupe_key)
            SELECT kind, jsonb_build_object('game_id', $1::text, 'guild_id', $2::bigint), due, 'game:' || $1 || ':' || s
            FROM (VALUES ('games.send_reminders', now() + interval '3 days' - interval '60 minutes', 'reminder:60'),
                         ('games.send_reminders', now() + interval '3 days' - interval '15 minutes', 'reminder:15'),
                         ('games.start', now() + interval '3 days', 'start'),
                         ('games.complete', now() + interval '3 days 4 hours', 'complete')) AS j(kind, due, s)
            """,
            game_id,
            guild.id,
        )
    return str(game_id)


async def seed_games(conn: asyncpg.Connection, guild: Guild, first: int, last: int) -> None:
    """Games ``first .. last`` (the target game counts as one of them), then VACUUM ANALYZE."""
    started = time.perf_counter()
    async with conn.transaction():
        await conn.execute("SELECT set_config('app.bypass_rls', 'on', true)")
        games, players, jobs = await conn.fetchrow(
            _SEED_GAMES,
            guild.id,
            first,
            last,
            guild.channel_ids,
            guild.host_ids,
            guild.member_ids,
        )
    seeded = time.perf_counter() - started
    for table in ("games", "participants", "jobs"):
        await conn.execute(f"VACUUM ANALYZE {table}")
    print(
        f"  seeded {games:,} games, {players:,} players, {jobs:,} pending jobs in {seeded:.1f} s"
        f" (+ vacuum {time.perf_counter() - started - seeded:.1f} s)",
        flush=True,
    )


# -- measuring -------------------------------------------------------------------------------------


class Answer(NamedTuple):
    status_code: int
    text: str


class KeepAliveClient:
    """The load generator's client: GETs over one kept-alive HTTP/1.1 connection, for about 0.06 ms of CPU
    per request. httpx took 0.8 ms, on the same two cores as the app and PostgreSQL, which remote browsers
    do not take from a server: with httpx, the app's own CPU per read was 3-29 % higher (it lost its core to
    the client now and then), and the latencies counted the client's turns too.
    ``--client httpx`` measures with httpx, as before 2026-11-28 evening, to compare with older figures."""

    def __init__(self, base_url: str, cookies: httpx.Cookies) -> None:
        url = httpx.URL(base_url)
        self.host, self.port = url.host, url.port or 80
        self.head = f"Host: {self.host}\r\nCookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items())
        self.connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> Answer:
        # A connection the server closed while idle (uvicorn keeps one 5 s; seeding takes longer) is
        # opened again, once: a GET may be sent twice.
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = await asyncio.open_connection(self.host, self.port)
            reader, writer = self.connection
            try:
                writer.write(f"GET {path} HTTP/1.1\r\n{self.head}\r\n\r\n".encode())
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                headers = dict(line.lower().split(": ", 1) for line in head[1:] if line)
                if "content-length" not in headers:
                    raise RuntimeError(f"GET {path}: an answer without Content-Length ({head[0]})")
                body = await reader.readexactly(int(headers["content-length"]))
            except (asyncio.IncompleteReadError, ConnectionError):
                await self.aclose()
                if attempt == 2:
                    raise
                continue
            return Answer(int(head[0].split(" ", 2)[1]), body.decode(errors="replace"))
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        if self.connection is not None:
            writer = self.connection[1]
            self.connection = None
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


Client = httpx.AsyncClient | KeepAliveClient


async def measure(clients: Sequence[Client], path: str, requests: int) -> list[float]:
    """``requests`` GETs of ``path`` by ``len(clients)`` concurrent clients; each latency in ms."""
    latencies: list[float] = []
    remaining = requests

    async def worker(client: Client) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            response = await client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:200]}")
            latencies.append(elapsed)

    await asyncio.gather(*(worker(client) for client in clients))
    return latencies


async def run(
    sizes: Sequence[int],
    runs: int,
    requests: int,
    clients_count: int = CLIENTS,
    deep: bool = False,
    client: str = "keep-alive",
) -> dict[tuple[int, str], list[float]]:
    results: dict[tuple[int, str], list[float]] = {}
    async with (
        fresh_database("gs_bench_reads") as url,
        sandbox_process() as sandbox,
        app_process(url, sandbox_url=sandbox) as base,
    ):
        guild = await prepare_world(sandbox)
        conn = await asyncpg.connect(asyncpg_url(url))
        try:
            await _wait_until_synced(conn, guild)
            game_id = await seed_target(conn, guild)
            reads = {
                # The floor: the HTTP stack and one trivial query (`SELECT 1`), no game read at all.
                "GET /health (floor)": "/health",
                "GET /api/v1/games/{id}": f"/api/v1/games/{game_id}",
                "GET /api/v1/games?guild_id&limit=25": f"/api/v1/games?guild_id={guild.id}&limit=25",
                "GET /games/{id} (page)": f"/games/{game_id}",
            }
            login = await login_as(base, "alice", sandbox_url=sandbox)
            clients: list[Client] = [
                httpx.AsyncClient(base_url=base, cookies=login.cookies, timeout=120)
                if client == "httpx"
                else KeepAliveClient(base, login.cookies)
                for _ in range(clients_count)
            ]
            try:
                seeded = 1
                for size in sorted(sizes):
                    print(f"{size:,} games in the guild:", flush=True)
                    await seed_games(conn, guild, seeded + 1, size)
                    seeded = size
                    paths = dict(reads)
                    if deep:
                        listing = f"/api/v1/games?guild_id={guild.id}&limit=25"
                        before_last = (await login.get(f"{listing}&offset={size - 50}")).json()
                        paths["GET …&offset=N-25 (last page)"] = f"{listing}&offset={size - 25}"
                        paths["GET …&after=cursor (last page)"] = (
                            f"{listing}&after={before_last['next_cursor']}"
                        )
                    for label, path in paths.items():
                        await measure(clients[:1], path, 1)  # fills the member cache alone
                        await measure(clients, path, WARMUP)
                        latencies: list[float] = []
                        before = await footprint(login)
                        for _ in range(runs):
                            latencies += await measure(clients, path, requests)
                        cpu = (await footprint(login)).cpu_seconds - before.cpu_seconds
                        results[(size, label)] = latencies
                        CPU[(size, label)] = round(cpu / len(latencies) * 1000, 2)
                        print(
                            f"  {label:<38} {summary(latencies)}  app CPU {cpu / len(latencies) * 1000:.2f} ms/read",
                            flush=True,
                        )
            finally:
                for client in clients:
                    await client.aclose()
                await login.aclose()
        finally:
            await conn.close()
    return results


def print_table(results: dict[tuple[int, str], list[float]], runs: int, clients: int = CLIENTS) -> None:
    labels = list(dict.fromkeys(label for _, label in results))
    sizes = sorted({size for size, _ in results})
    print(f"\nreads with {clients} concurrent clients ({runs} runs per cell; ms)")
    print(f"{'read':<38} {'games':>8}  {'p50':>7} {'p95':>7} {'p99':>7}")
    for label in labels:
        for size in sizes:
            ordered = sorted(results[(size, label)])
            print(
                f"{label:<38} {size:>8,}  {statistics.median(ordered):7.1f}"
                f" {percentile(ordered, 95):7.1f} {percentile(ordered, 99):7.1f}"
            )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reads", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k games, fewer requests")
    parser.add_argument("--sizes", help="comma-separated guild sizes (default 1000,10000,100000)")
    parser.add_argument("--runs", type=int, default=RUNS, help="runs per read and size (default 3)")
    parser.add_argument("--requests", type=int, help=f"requests per run (default {REQUESTS})")
    parser.add_argument("--deep", action="store_true", help="also the last page, by offset and by cursor")
    parser.add_argument(
        "--clients", type=int, default=CLIENTS, help=f"concurrent clients (default {CLIENTS})"
    )
    parser.add_argument(
        "--client",
        choices=("keep-alive", "httpx"),
        default="keep-alive",
        help="the load generator's HTTP client (httpx: as measured before 2026-11-28 evening)",
    )
    record.add_arguments(parser)
    args = parser.parse_args(argv)
    sizes: tuple[int, ...] = QUICK_SIZES if args.quick else SIZES
    if args.sizes:
        sizes = tuple(int(s.replace("_", "")) for s in args.sizes.split(","))
    requests = args.requests or (QUICK_REQUESTS if args.quick else REQUESTS)
    results: Any = asyncio.run(run(sizes, args.runs, requests, args.clients, args.deep, args.client))
    print_table(results, args.runs, args.clients)
    figures = {
        f"{label} @ {size:,} games": {**record.latency(latencies), "cpu_ms_per_read": CPU[(size, label)]}
        for (size, label), latencies in results.items()
    }
    record.report("reads", figures, save_baseline=args.save_baseline)


if __name__ == "__main__":
    main()
