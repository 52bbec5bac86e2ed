"""Every route, walked from the app's route table: a member of one server reaches nothing of another.

Alice is in the Sandbox Guild only. Oscar's Other Guild has a game with a roster, settings with rules and
a channel with overrides. Every route and method is called with the Other Guild's ids — in the path, in
the query string, and in the JSON or form body one field at a time — and must neither answer with
anything of it nor change it, nor keep its ids in alice's own server. The routes come from the route
table, so a new route is walked without anyone adding it here, and one that takes an id or a body field
this walk cannot fill in fails until the walk learns it. Only the routes in ``SKIPPED`` are left out, each
with its reason.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import types
import typing
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from PIL import Image

from gamesched.app import App
from gamesched.games.calendar import calendar_token
from tests.bot.conftest import eventually
from tests.db import asyncpg_url
from tests.games.conftest import create_game
from tests.login import login_as
from tests.web.conftest import Login
from tests.world import World

#: Routes with no guild data to reach, and why.
SKIPPED = {
    "/health": "process health, nothing of any server",
    "/metrics": "process counters, nothing of any server",
    "/login": "the login page, before anyone is known",
    "/api/v1/auth/login": "starts the Discord login; reads no server",
    "/api/v1/auth/callback": "finishes the Discord login (its own tests cover state and code)",
    "/api/v1/auth/logout": "ends the session this walk runs in; reads no server",
    "/logout": "ends the session this walk runs in; reads no server",
    # Public by design, like Discord's attachments: the SHA-256 of an image's bytes is the only way to it,
    # and it names no server (tests/images/test_api_images.py checks that nothing else reaches one).
    "/images/{name:str}": "an image by the hash of its content: public to anyone with the link",
    # A person's own feed, by the secret link only they are shown: it takes no server's id, and lists their
    # own games in the servers they are in (tests/games/test_calendar_feed.py checks that a made-up, reset
    # or turned-off link is a 404, and that a game of theirs is listed with no one else's).
    "/feeds/{token:str}/games.ics": "a person's calendar feed, by its secret link: names no server",
}
SKIPPED_PREFIXES = {
    "/static/": "files shipped in the package",
    "/schema": "the OpenAPI description of the routes",
    "/sandbox": "the local Discord: an outside service, not the app (no app session)",
}
#: Litestar answers OPTIONS from the route table alone (the Allow header), never calling the app.
GENERATED = {"options_handler"}
#: Rows the app changes on its own schedule, not in answer to requests: the queue, interaction claims, the
#: DMs it sends (a join DM waits a minute) and DM channels, which are per person and opened ahead of a join
#: DM (peggy's, of the other server's own game, while the walk runs), and the projection of members the bot
#: saw or looked up at Discord (ids and role ids, written a second later: an id in a refused request may
#: still be looked up, and what Discord says of it recorded — nothing of it is answered).
VOLATILE_TABLES = {
    "jobs",
    "interaction_claims",
    "notifications",
    "dm_channels",
    "guild_members",
    "alembic_version",
}
PATH_PARAMETER = re.compile(r"\{(\w+)(?::[^}]*)?\}")
SAFE = {"GET", "HEAD"}
#: A request naming another server's thing in its path is refused with one of these, which say "not
#: found" or "not yours" and nothing of what is behind the id — or answered as an id that exists nowhere.
REFUSALS = {400, 403, 404, 422}
#: Routes that refuse even the walk's request with alice's own ids (the variants are then refused first
#: for this reason, so they say less), and why.
REFUSED_AS_IS = {
    ("POST", "/api/v1/games/{game_id:str}/leave"): "alice is not on her game's roster (409)",
    ("POST", "/api/v1/games/{game_id:str}/confirm"): "alice is not on her game's roster (409)",
    ("POST", "/games/{game_id:str}/confirm"): "alice is not on her game's roster (409)",
}
#: Path parameters that name no server's thing (the same in every server): the walk sends a fixed value.
NOT_IDS = {"kind": "thumbnail"}  # a template's picture: thumbnail or banner
NOWHERE = {
    "guild_id": "1000000000000000001",
    "channel_id": "1000000000000000002",
    "game_id": "00000000-0000-4000-8000-000000000001",
    "participant_id": "00000000-0000-4000-8000-000000000002",
    "token": "B" * 22,
    "template_id": "00000000-0000-4000-8000-000000000003",
    "series_id": "00000000-0000-4000-8000-000000000004",
    **NOT_IDS,
}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "purple").save(out, format="PNG")
    return out.getvalue()


#: What the walk uploads where a route takes an image.
WALK_PNG = _png()
#: A calendar link's signature alice cannot compute for a game that is not hers (she only has her own).
FORGED_TOKEN = "A" * 22
#: Body fields that carry an id (or a member): each is tried alone with the other server's.
ID_FIELDS = (
    "guild_id",
    "channel_id",
    "host_id",
    "host",
    "manager_role_ids",
    "host_role_ids",
    "player_role_ids",
    "priority_role_ids",
    "notify_role_ids",
    "participant_ids",
    "mention",
    "entry",
    "initial_participants",
    "template_id",
    "template_ids",
    "archive_channel_id",
)


@dataclass
class Server:
    """One server as the walk uses it: an id for each path parameter, a member, a role, a game."""

    guild_id: str
    channel_id: str
    role_id: str
    member_id: str
    host_id: str
    name_start: str
    game_id: str = ""
    participant_id: str = ""
    version: int = 1
    #: The signature of the game's calendar links (the walk's own game: the real one).
    calendar_token: str = FORGED_TOKEN
    #: A template of the server (alice's own: one that is not the default, so that deleting it works).
    template_id: str = ""
    #: Which of a template's pictures (the same word in every server: see NOT_IDS).
    kind: str = NOT_IDS["kind"]
    #: A recurring game of the server, and one of its occurrences (its first, made already).
    series_id: str = ""
    occurrence: str = ""

    def path_ids(self) -> dict[str, str]:
        return {
            "series_id": self.series_id,
            "guild_id": self.guild_id,
            "channel_id": self.channel_id,
            "game_id": self.game_id,
            "participant_id": self.participant_id,
            "token": self.calendar_token,
            "template_id": self.template_id,
            "kind": self.kind,
        }

    def query(self) -> dict[str, str]:
        return {
            "guild_id": self.guild_id,
            "channel_id": self.channel_id,
            "channel": self.channel_id,
            "game_id": self.game_id,
            "role_id": self.role_id,
            "user_id": self.member_id,
            "query": self.name_start,
            "role": "participant",
        }

    def body(self) -> dict[str, Any]:
        """A value for every body field the walk knows, this server's wherever it takes an id."""
        roles = [self.role_id]
        return {
            "guild_id": self.guild_id,
            "channel_id": self.channel_id,
            "host_id": self.host_id,
            "host": f"<@{self.host_id}>",
            "manager_role_ids": roles,
            "host_role_ids": roles,
            "player_role_ids": roles,
            "priority_role_ids": roles,
            "notify_role_ids": roles,
            "participant_ids": [self.participant_id],
            "mention": f"<@{self.member_id}>",
            "entry": f"<@{self.member_id}>",
            "initial_participants": [f"<@{self.member_id}>"],
            "title": "Walked in",
            "signup_method": "role_based",  # so that priority roles are taken
            "scheduled_at": (datetime.now(UTC) + timedelta(days=4)).replace(microsecond=0).isoformat(),
            # The series' forms: a move's typed time and an edit's time of day.
            "when": (datetime.now(UTC) + timedelta(days=4)).replace(microsecond=0).isoformat(),
            "time": "19:00",
            "rrule": "FREQ=WEEKLY",
            "occurrence": self.occurrence,
            "max_players": 5,
            "expected_version": self.version,
            "template_id": self.template_id,
            "template_ids": [self.template_id],
            "name": "Walked preset",
            "default_signup_method": "role_based",  # so that a template's priority roles are taken
            "rewards": "Walked in rewards",
            "archive_channel_id": self.channel_id,
        }


@dataclass
class Foreign(Server):
    """The server alice is not in, and what of it she must never see."""

    #: Names and texts of the Other Guild (none of which the requests contain).
    secrets: list[str] = field(default_factory=list)
    #: Ids of the Other Guild that no request sends: an answer holding one was read from the server.
    unsent_ids: list[str] = field(default_factory=list)
    #: Every id of the Other Guild: a database row holding one belongs to it (or points at it).
    all_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Call:
    """One request of the walk: whose ids go in the path, the query and the body."""

    label: str
    #: "other", "own", or the one path parameter that is the other server's among alice's own ids.
    path: str
    query: str
    #: Body fields that carry the other server's ids; the rest are alice's own.
    foreign_fields: tuple[str, ...] = ()


@pytest.mark.long
async def test_no_route_reveals_or_changes_a_server_the_viewer_is_not_in(
    web_app: App, world: World, login: Login, database_url: str
) -> None:
    async with httpx.AsyncClient(base_url=f"{web_app.base_url}/sandbox/api") as sandbox:
        # The walk announces a few hundred games; Discord's rate limits would only make it slow.
        await sandbox.post("/faults", json={"rate_limits": False})
    other = await _other_guild(web_app, world)
    alice = await login("alice")
    secret = web_app.settings.secret_key or ""
    shared = replace(
        _own(world, await _own_game(alice, world), secret),
        template_id=await _own_template(alice, world),
        **await _own_series(alice, world),
    )
    await _queue_idle(database_url)
    before = await _rows_naming(database_url, other.all_ids)

    problems: list[str] = []
    routes = list(_routes(web_app.http))
    walked = 0
    for path, method, data_type in routes:
        names = PATH_PARAMETER.findall(path)
        for name in names:
            assert name in NOWHERE, f"{path}: the walk has no id for path parameter {name!r}; teach it one"
        for call in _calls(path, method, data_type):
            own = shared
            if method not in SAFE and "game_id" in names:  # a game for each call that may change one
                own = _own(world, await _own_game(alice, world), secret)
            if method not in SAFE and "template_id" in names:  # a template for each call that may change one
                own = replace(own, template_id=await _own_template(alice, world))
            if method not in SAFE and "series_id" in names:  # a series for each call that may change one
                own = replace(own, **await _own_series(alice, world))
            status, body = await _send(alice, method, path, call, other, own, data_type)
            walked += 1
            where = f"{method} {path} ({call.label}) → {status}"
            if call.path == call.query == "own" and not call.foreign_fields:
                if status >= 400 and (method, path) not in REFUSED_AS_IS:
                    problems.append(f"{where}: alice's own request is refused; the walk's requests are wrong")
            elif call.path != "own" and status not in REFUSALS:
                # Not refused: then it must be answered as an id that exists nowhere (e.g. removing
                # someone already gone from alice's roster), which tells nothing of the other server.
                unknown, _ = await _send(alice, method, path, call, other, own, data_type, nowhere=True)
                if unknown != status:
                    problems.append(f"{where}: answered unlike an id that exists nowhere ({unknown})")
            if status >= 500:
                problems.append(f"{where}: failed")
            for secret in other.secrets + other.unsent_ids:
                if secret in body:
                    problems.append(f"{where}: the answer shows {secret!r}")

    # No wait for the queue here: a change to the other server is in its rows by the time the request is
    # answered, and alice's own games' announcements are not what this looks at.
    after = await _rows_naming(database_url, other.all_ids)
    for table in sorted(set(before) | set(after)):
        for row in sorted(set(after.get(table, ())) - set(before.get(table, ()))):
            problems.append(f"{table}: changed or new row naming the other server: {row}")
        for row in sorted(set(before.get(table, ())) - set(after.get(table, ()))):
            problems.append(f"{table}: row of the other server changed or gone: {row}")
    assert not problems, f"{len(problems)} problems in {walked} requests:\n" + "\n".join(problems)
    assert len(routes) >= 40, "the route table is read (Litestar still lists routes the same way)"


def test_every_skipped_route_still_exists(web_app: App) -> None:
    """A skip entry for a route that is gone would hide the next route to take its path."""
    paths = {route.path for route in web_app.http.routes}
    assert set(SKIPPED) <= paths, set(SKIPPED) - paths
    assert {path for _, path in REFUSED_AS_IS} <= paths
    for prefix in SKIPPED_PREFIXES:
        assert any(p.startswith(prefix) for p in paths), prefix


# -- the route table and the calls ----------------------------------------------------------------------


def _sent(annotation: Any) -> Any:
    """The body the walk sends: an optional one (``GameCancel | None``) is sent."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return next(t for t in typing.get_args(annotation) if t is not type(None))
    return annotation


def _routes(app: Litestar) -> Iterator[tuple[str, str, type | None]]:
    """(path, method, JSON body type) of every route the walk calls, in table order."""
    for route in app.routes:
        if _skip_reason(route.path):
            continue
        assert isinstance(route, HTTPRoute), f"{route.path}: a {type(route).__name__} the walk cannot call"
        for handler in route.route_handlers:
            if handler.handler_name in GENERATED:
                continue
            data = handler.parsed_fn_signature.parameters.get("data")
            for method in sorted(handler.http_methods):
                yield route.path, method, _sent(data.annotation) if data else None


def _skip_reason(path: str) -> str | None:
    return SKIPPED.get(path) or next((why for p, why in SKIPPED_PREFIXES.items() if path.startswith(p)), None)


def _calls(path: str, method: str, data_type: type | None) -> Iterator[Call]:
    """The other server's ids in the path (all of them, with a body that suits them; then each alone
    among alice's own), then alice's own path with the other server's ids in the query, then in each
    body field alone."""
    names = PATH_PARAMETER.findall(path)
    yield Call("own: alice's own ids only", "own", "own")
    if names:
        yield Call("path: the other server's", "other", "other", ID_FIELDS)
        if len(names) > 1:
            for name in names:
                if name not in NOT_IDS:
                    yield Call(f"path: the other server's {name}", name, "own")
    yield Call("query: the other server's ids", "own", "other")
    if method in SAFE:
        return
    if data_type is None and path.startswith("/api/"):
        yield Call("body: the other server's ids", "own", "own", ID_FIELDS)  # a JSON route without a body
        return
    if _is_upload(data_type):
        return  # a file upload carries no ids
    taken = {f.encode_name for f in msgspec.structs.fields(data_type)} if data_type else set(ID_FIELDS)
    for name in ID_FIELDS:
        if name in taken:
            yield Call(f"body: the other server's {name}", "own", "own", (name,))


async def _send(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    call: Call,
    other: Foreign,
    own: Server,
    data_type: type | None,
    *,
    nowhere: bool = False,
) -> tuple[int, str]:
    mine, theirs = own.path_ids(), other.path_ids()
    ids = {"other": theirs, "own": mine}.get(call.path) or {**mine, call.path: theirs[call.path]}
    if nowhere:
        ids = {k: NOWHERE[k] if v == theirs[k] else v for k, v in ids.items()}
    url = PATH_PARAMETER.sub(lambda m: ids[m[1]], path)
    api = url.startswith("/api/")
    body_of = other if call.path == "other" else own
    fields = {**body_of.body(), **{k: v for k, v in other.body().items() if k in call.foreign_fields}}
    kwargs: dict[str, Any] = {
        "params": (other if call.query == "other" else own).query(),
        "headers": {"accept": "application/json" if api else "text/html"},
    }
    if method not in SAFE:
        if not api:
            kwargs["data"] = {"_csrf_token": client.cookies.get("csrftoken"), **_form(fields)}
        elif _is_upload(data_type):
            kwargs["files"] = {"file": ("walk.png", WALK_PNG, "image/png")}
        elif data_type is not None:
            kwargs["json"] = _json_body(data_type, fields)
        else:  # a JSON route that reads no body must ignore one
            kwargs["json"] = {k: v for k, v in fields.items() if k in call.foreign_fields}
    async with client.stream(method, url, **kwargs) as response:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return response.status_code, ""  # a live page of alice's own game: it never ends
        return response.status_code, (await response.aread()).decode(errors="replace")


def _is_upload(data_type: type | None) -> bool:
    """A multipart body with a ``file`` (an image upload), not JSON."""
    return dataclasses.is_dataclass(data_type) and any(
        f.name == "file" for f in dataclasses.fields(data_type)
    )


def _json_body(data_type: type, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A body of ``data_type``: its required fields and every field the walk has a value for."""
    body = {}
    for info in msgspec.structs.fields(data_type):
        if info.encode_name in fields:
            body[info.encode_name] = fields[info.encode_name]
        else:
            assert not info.required, f"{data_type.__name__}.{info.name}: teach the walk a value for it"
    return body


def _form(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Every field the dashboard's forms read."""
    form: dict[str, Any] = {
        k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in fields.items()
    }
    form |= {
        "initial_participants": "\n".join(fields["initial_participants"]),
        "host_role_ids_mode": "set",
        "player_role_ids_mode": "set",
        "is_active": "on",
        "version": str(fields["expected_version"]),
        "submission": uuid.uuid4().hex,  # a new form each time, not a resubmission of the last one
    }
    return form


# -- the two servers ------------------------------------------------------------------------------------


async def _other_guild(app: App, world: World) -> Foreign:
    """Oscar's server with a game, a roster, rules and a channel override, as oscar set them up."""
    gid, lobby = world.guild_id("Other Guild"), world.channel_id("lobby", "Other Guild")
    general = world.channel_id("general", "Other Guild")
    organizer = world.role_id("Organizer", "Other Guild")
    peggy, oscar, trent = (world.user_id(n) for n in ("peggy", "oscar", "trent"))
    async with await login_as(app.base_url, "oscar") as owner:
        rules = {"signup_instructions": "Other rules: bring your own dice", "host_role_ids": [str(organizer)]}
        saved = await owner.patch(f"/api/v1/guilds/{gid}/settings", json=rules)
        assert saved.status_code == 200, saved.text
        overrides = {"signup_instructions": "Lobby rules: whisper only", "max_players": 6}
        saved = await owner.patch(f"/api/v1/guilds/{gid}/channels/{lobby}/settings", json=overrides)
        assert saved.status_code == 200, saved.text
        game = await create_game(
            owner,
            world,
            guild_id=str(gid),
            channel_id=str(lobby),
            title="Harbour heist",
            description="Dungeon under the harbour",
            signup_instructions="Oscar's house rules: no phones",
            location="Oscar's flat, 3rd floor",
            player_role_ids=[str(organizer)],
            initial_participants=["@peggy", "Trent's cousin"],
        )
        preset = await owner.post(
            f"/api/v1/guilds/{gid}/templates",
            json={"name": "Oscar's heist preset", "location": "The docks", "channel_id": str(lobby)},
        )
        assert preset.status_code == 201, preset.text
        series = await start_series(owner, str(gid), str(lobby), "Oscar's weekly heist")
    placeholder = next(p for p in game["participants"] if p["discord_id"] is None)
    peggy_seat = next(p for p in game["participants"] if p["discord_id"] == str(peggy))
    bot_role = next(r["id"] for r in world.guild("Other Guild")["roles"] if r["name"] == "gamesched")
    return Foreign(
        guild_id=str(gid),
        channel_id=str(lobby),
        role_id=str(organizer),
        member_id=str(peggy),
        host_id=str(oscar),
        name_start="peg",  # the start of a name only the other server has
        game_id=game["id"],
        participant_id=placeholder["id"],
        version=game["version"],
        template_id=preset.json()["id"],
        series_id=series["id"],
        occurrence=series["upcoming"][0]["recurrence_id"],
        secrets=[
            "Oscar's weekly heist",
            "Oscar's heist preset",
            "The docks",
            "Other Guild",
            "lobby",
            "Organizer",
            "oscar",
            "Oscar Olsen",
            "peggy",
            "Peggy Park",
            "trent",
            "Trent Turner",
            "Bob B.",  # bob's nickname there (bob is in both servers)
            "Harbour heist",
            "Dungeon under the harbour",
            "no phones",
            "3rd floor",
            "Trent's cousin",
            "bring your own dice",
            "whisper only",
        ],
        unsent_ids=[str(general), str(bot_role), str(trent), peggy_seat["id"]],
        all_ids=[
            str(gid),
            str(lobby),
            str(general),
            str(organizer),
            str(bot_role),
            str(peggy),
            str(oscar),
            str(trent),
            game["id"],
            placeholder["id"],
            peggy_seat["id"],
            preset.json()["id"],
            series["id"],
        ],
    )


async def _own_game(alice: httpx.AsyncClient, world: World) -> dict[str, Any]:
    """A game of alice's in her own server, with bob and a placeholder on the roster."""
    return await create_game(alice, world, title="Alice's table", initial_participants=["@bob", "A friend"])


async def _own_template(alice: httpx.AsyncClient, world: World) -> str:
    """A template of alice's server that is not its default (so that the walk may delete it)."""
    made = await alice.post(
        f"/api/v1/guilds/{world.guild_id()}/templates", json={"name": "Alice's preset", "max_players": 5}
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def start_series(
    client: httpx.AsyncClient, guild_id: str, channel_id: str, title: str
) -> dict[str, Any]:
    """A weekly series whose first game, two days ahead, is made at once."""
    first = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    made = await client.post(
        "/api/v1/series",
        json={
            "guild_id": guild_id,
            "channel_id": channel_id,
            "title": title,
            "scheduled_at": first.isoformat(),
            "rrule": "FREQ=WEEKLY",
            "time_zone": "Europe/Berlin",
        },
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


async def _own_series(alice: httpx.AsyncClient, world: World) -> dict[str, str]:
    """A series of alice's (its id and its first occurrence, made already)."""
    series = await start_series(
        alice, str(world.guild_id()), str(world.channel_id("board-games")), "Alice's weekly table"
    )
    return {"series_id": series["id"], "occurrence": series["upcoming"][0]["recurrence_id"]}


def _own(world: World, game: dict[str, Any], secret: str) -> Server:
    """Alice's server, around one of her games: the ids a request of hers would carry."""
    return Server(
        guild_id=game["guild_id"],
        channel_id=game["channel_id"],
        role_id=str(world.role_id("Player")),
        member_id=str(world.user_id("dave")),
        host_id=str(world.user_id("alice")),
        name_start="bo",
        game_id=game["id"],
        participant_id=next(p["id"] for p in game["participants"] if p["discord_id"] is None),
        version=game["version"],
        calendar_token=calendar_token(secret, game["id"]),
    )


# -- the database ---------------------------------------------------------------------------------------


async def _rows_naming(database_url: str, ids: list[str]) -> Mapping[str, frozenset[str]]:
    """Every row (as JSON) of every table that holds one of ``ids``, read past row-level security."""
    pattern = re.compile("|".join(rf"\b{re.escape(i)}\b" for i in ids))
    conn = await asyncpg.connect(asyncpg_url(database_url))
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            if r["tablename"] not in VOLATILE_TABLES
        ]
        found: dict[str, frozenset[str]] = {}
        for table in tables:
            rows = await conn.fetch(f'SELECT to_jsonb(t)::text AS row FROM "{table}" t')
            found[table] = frozenset(
                json.dumps(json.loads(r["row"]), sort_keys=True) for r in rows if pattern.search(r["row"])
            )
        return found
    finally:
        await conn.close()


async def _queue_idle(database_url: str) -> None:
    """Wait until the dispatcher has done every job due now or in a moment (an announcement's refresh
    waits 400 ms for more changes)."""

    async def idle() -> bool:
        conn = await asyncpg.connect(asyncpg_url(database_url))
        try:
            busy = await conn.fetchval(
                "SELECT count(*) FROM jobs WHERE state = 'running'"
                " OR (state = 'pending' AND due_at <= now() + interval '5 seconds')"
            )
        finally:
            await conn.close()
        return busy == 0

    await eventually(idle, within=20)
