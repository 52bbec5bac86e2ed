"""compose.yaml, read as Docker Compose would (no Docker here): the default setup is one gamesched container
with PostgreSQL and Valkey; the ``scaled`` profile adds two web replicas behind Caddy, two bot shards and a
worker, and everything a service names (services, volumes, the proxy's configuration, settings) exists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from gamesched.core.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]


def _profile(name: str) -> dict[str, dict[str, Any]]:
    """The services ``docker compose --profile name up`` starts (with the default ones, as Compose does)."""
    return {s: spec for s, spec in SERVICES.items() if not spec.get("profiles") or name in spec["profiles"]}


def _settings(spec: dict[str, Any]) -> Any:
    """The service's GAMESCHED_* settings as the app reads them (with .env's secret key)."""
    env = {k: str(v) for k, v in spec.get("environment", {}).items()}
    return load_settings({**env, "GAMESCHED_SECRET_KEY": "x" * 40})


def test_the_default_setup_is_still_one_gamesched_container_with_postgres_and_valkey() -> None:
    default = _profile("")
    assert set(default) == {"gamesched", "postgres", "valkey"}
    app = default["gamesched"]
    assert app["build"] == "." and app["ports"] == ["${GAMESCHED_PORT:-8000}:8000"]
    assert set(app["depends_on"]) == {"postgres", "valkey"}
    assert "GAMESCHED_ROLES" not in app["environment"], "every role in the one process"
    assert _settings(app).redis_url == "redis://valkey:6379/0"


def test_the_scaled_profile_runs_two_web_replicas_two_shards_and_a_worker_behind_a_proxy() -> None:
    scaled = {s: spec for s, spec in _profile("scaled").items() if s != "gamesched"}
    roles = {
        s: _settings(spec).roles
        for s, spec in scaled.items()
        if "environment" in spec and s.startswith(("web", "bot", "worker"))
    }
    assert roles == {
        "web-1": {"web"},
        "web-2": {"web"},
        "bot-0": {"bot", "worker"},
        "bot-1": {"bot", "worker"},
        "worker": {"worker"},
    }
    shards = {
        s: (_settings(scaled[s]).shard_count, _settings(scaled[s]).shard_ids) for s in ("bot-0", "bot-1")
    }
    assert shards == {"bot-0": (2, (0,)), "bot-1": (2, (1,))}
    pacing = sum(_settings(scaled[s]).discord_requests_per_second for s in roles if "bot" in roles[s])
    assert pacing <= 50, "the bot processes together stay under Discord's global limit"
    databases = {_settings(scaled[s]).database_url for s in roles}
    assert databases == {_settings(SERVICES["gamesched"]).database_url}, "one database, the default setup's"
    for name in ("bot-0", "bot-1", "worker"):
        assert scaled[name]["healthcheck"] == {"disable": True}, f"{name} serves no /health"

    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    upstreams = re.search(r"reverse_proxy ([^{]+)\{", caddyfile)
    assert upstreams is not None
    assert upstreams.group(1).split() == ["web-1:8000", "web-2:8000"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in scaled["proxy"]["volumes"]


def test_everything_a_service_names_exists() -> None:
    volumes = set(COMPOSE.get("volumes") or {})
    for name, spec in SERVICES.items():
        assert set(spec.get("depends_on") or {}) <= set(SERVICES), name
        for other in spec.get("depends_on") or {}:
            if spec.get("profiles") is None:
                assert SERVICES[other].get("profiles") is None, f"{name} depends on a service of a profile"
        for mount in spec.get("volumes") or []:
            source = mount.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is not in the repository"
            else:
                assert source in volumes, f"{name} mounts the undeclared volume {source}"
        assert "image" in spec or "build" in spec, name
