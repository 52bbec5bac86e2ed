"""Schemathesis against the running app: generated requests for every operation of the OpenAPI schema the
app serves, sent with a logged-in session and its CSRF header, against real PostgreSQL and the sandbox.

No answer may be a server error (5xx), and every answer must be one the schema documents (status code,
content type and body). Path, query and body ids are drawn most of the time from the sandbox's real
server, channels, games and templates, so that requests get past "not found" into the code behind it;
the rest of the time schemathesis makes them up. The run is bounded (a few examples per operation) and
seeded, so that it is quick and the same run every time; ``GAMESCHED_SCHEMATHESIS_EXAMPLES=50`` and
``GAMESCHED_SCHEMATHESIS_PHASES=all`` make it a longer hunt.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import httpx
import pytest

from gamesched.app import App
from tests.games.conftest import create_game
from tests.login import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, login_as
from tests.world import fetch_world

#: Operations left out, and why.
EXCLUDED = {
    "/api/v1/auth/logout": "would end the session the run is logged in with",
}
SEED = 20261128
EXAMPLES = int(os.environ.get("GAMESCHED_SCHEMATHESIS_EXAMPLES", "5"))
#: The coverage phase (every documented boundary and a wrong value of each field, deterministically) takes
#: about 30 s on two busy cores: left to a longer hunt (``GAMESCHED_SCHEMATHESIS_PHASES=all``).
PHASES = os.environ.get("GAMESCHED_SCHEMATHESIS_PHASES", "examples,fuzzing,stateful")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def _config(values: dict[str, list[str]]) -> str:
    """schemathesis.toml: dictionaries of real ids, bound to the path, query and body fields that take them
    (Discord ids are integers in paths and query strings, strings in JSON bodies)."""
    # Sending every operation once with each method it lacks (405s) is Litestar's routing, not ours: left out
    # for time; tests/web/test_cross_guild_routes.py walks the route table.
    lines = [f"seed = {SEED}", "", "[phases.coverage]", "unexpected-methods = []", ""]
    for name, entries in values.items():
        numbers = [int(e) for e in entries if e.isdigit()]
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(entries)}", ""]
        if numbers:
            lines += [f"[dictionaries.{name}_number]", f"values = {json.dumps(numbers)}", ""]
    lines.append("[parameters]")
    for name, entries in values.items():
        in_url = f"{name}_number" if entries[0].isdigit() else name
        for location, dictionary in (("path", in_url), ("query", in_url), ("body", name)):
            lines.append(f'"{location}.{name}" = {{ dictionary = "{dictionary}", probability = 0.8 }}')
    return "\n".join(lines) + "\n"


@pytest.mark.long
async def test_generated_requests_get_no_server_error_and_answers_the_schema_documents(
    sandbox_app: App, tmp_path: Path
) -> None:
    base = sandbox_app.base_url
    world = await fetch_world(base)
    async with httpx.AsyncClient(base_url=f"{base}/sandbox/api") as sandbox:
        # The run announces and edits games by the hundred; Discord's rate limits would only make it slow.
        await sandbox.post("/faults", json={"rate_limits": False})
    async with await login_as(base, "alice") as alice:
        game = await create_game(alice, world, max_players=3, initial_participants=["Guest"])
        templates = (await alice.get(f"/api/v1/guilds/{world.guild_id()}/templates")).json()
        session, token = alice.cookies[SESSION_COOKIE], alice.cookies[CSRF_COOKIE]
        config = tmp_path / "schemathesis.toml"
        config.write_text(
            _config(
                {
                    "guild_id": [str(world.guild_id())],
                    "channel_id": [str(world.channel_id("board-games")), str(world.channel_id("rpg"))],
                    "game_id": [game["id"]],
                    "participant_id": [p["id"] for p in game["participants"]],
                    "template_id": [t["id"] for t in templates],
                }
            )
        )
        command = [
            str(Path(sys.executable).with_name("st")),
            "--config-file",
            str(config),
            "run",
            f"{base}/schema/openapi.json",
            "--header",
            f"Cookie: {SESSION_COOKIE}={session}; {CSRF_COOKIE}={token}",
            "--header",
            f"{CSRF_HEADER}: {token}",
            "--checks",
            CHECKS,
            *(["--phases", PHASES] if PHASES != "all" else []),
            "--max-examples",
            str(EXAMPLES),
            "--workers",
            "2",
            "--generation-database",
            "none",
            "--include-path-regex",
            "^/api/",
            *(arg for path in EXCLUDED for arg in ("--exclude-path", path)),
            "--no-color",
            "--continue-on-failure",
            "--request-timeout",
            "10",
        ]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path
        )
        output, _ = await process.communicate()
        # The session is still alive: the run neither ended it nor was it logged out half way.
        assert (await alice.get("/api/v1/me")).status_code == 200
    report = output.decode()
    print(report)  # the run's summary and timings (pytest -s)
    assert process.returncode == 0, report[-20000:]
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/health")).status_code == 200
