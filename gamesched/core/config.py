"""Settings: frozen data loaded from a mapping (the environment in production, a dict in tests)."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PREFIX = "GAMESCHED_"
LOG_FORMATS = ("console", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: What a process does (GAMESCHED_ROLES): serve HTTP, connect to Discord's gateway, run queue jobs.
ROLES = ("web", "bot", "worker")
#: More shards than any bot needs (Discord recommends one per 1,000 guilds at most).
MAX_SHARDS = 10_000


class SettingsError(ValueError):
    """A bad or missing setting; the message is one line that names the variable."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    database_url: str | None = None
    redis_url: str | None = None
    discord_token: str | None = None
    discord_client_id: str | None = None
    discord_client_secret: str | None = None
    public_url: str | None = None
    secret_key: str | None = None
    data_dir: Path = Path(".gamesched")
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_format: str = "console"
    log_level: str = "INFO"
    queue_concurrency: int = 16
    #: PostgreSQL connections this process keeps (its pool; a claim connection and the LISTEN connections
    #: come on top). Several processes on one server add up: docs/scaling.md.
    database_pool_size: int = 20
    queue_max_attempts: int = 6
    discord_members_intent: bool = False
    #: REST requests per second the bot allows itself (Discord's global limit is 50); 0: no pacing.
    discord_requests_per_second: int = 48
    #: How long a join DM waits, so leaving again at once sends nothing.
    join_dm_delay_seconds: int = 60
    #: Talk to the sandbox Discord that another gamesched process serves (tests, multi-process demos).
    sandbox_url: str | None = None
    sandbox: bool = False
    #: Which of ROLES this process takes on (all three by default: one process does everything).
    roles: frozenset[str] = frozenset(ROLES)
    #: Discord sharding: how many shards the bot has in all, and which of them this process connects
    #: (every one of the count unless GAMESCHED_SHARD_IDS says). None: one unsharded connection.
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None

    @property
    def base_url(self) -> str:
        """Where people reach the dashboard: PUBLIC_URL, else the listening address."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.http_host in ("0.0.0.0", "::", "") else self.http_host
        return f"http://{host}:{self.http_port}"

    def with_overrides(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


#: Every default in one place: what an unset variable means.
DEFAULTS = Settings()


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read ``GAMESCHED_*`` values; raise SettingsError naming the first bad variable."""

    def get(name: str) -> str | None:
        value = environ.get(PREFIX + name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    def integer(name: str, default: int, low: int, high: int) -> int:
        raw = get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{PREFIX}{name} must be an integer, got {raw!r}") from None
        if not low <= value <= high:
            raise SettingsError(f"{PREFIX}{name} must be between {low} and {high}, got {value}")
        return value

    def choice(name: str, default: str, allowed: tuple[str, ...], *, upper: bool = False) -> str:
        raw = get(name)
        if raw is None:
            return default
        value = raw.upper() if upper else raw.lower()
        if value not in allowed:
            raise SettingsError(f"{PREFIX}{name} must be one of {', '.join(allowed)}, got {raw!r}")
        return value

    def flag(name: str, default: bool) -> bool:
        raw = get(name)
        if raw is None:
            return default
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{PREFIX}{name} must be true or false, got {raw!r}")

    def url(name: str, schemes: tuple[str, ...]) -> str | None:
        raw = get(name)
        if raw is None:
            return None
        parts = urlsplit(raw)
        if parts.scheme not in schemes or not (parts.netloc or parts.path):
            raise SettingsError(
                f"{PREFIX}{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)}"
            )
        return raw

    def roles(name: str) -> frozenset[str]:
        raw = get(name)
        if raw is None:
            return DEFAULTS.roles
        picked = {part.strip().lower() for part in raw.split(",") if part.strip()}
        if not picked or picked - set(ROLES):
            raise SettingsError(
                f"{PREFIX}{name} must list one or more of {', '.join(ROLES)} separated by commas, got {raw!r}"
            )
        return frozenset(picked)

    def shards() -> tuple[int | None, tuple[int, ...] | None]:
        count = integer("SHARD_COUNT", 0, 1, MAX_SHARDS) if get("SHARD_COUNT") is not None else None
        raw = get("SHARD_IDS")
        if raw is None:
            return count, tuple(range(count)) if count is not None else None
        if count is None:
            raise SettingsError(
                f"{PREFIX}SHARD_IDS needs {PREFIX}SHARD_COUNT (how many shards the bot has in all)"
            )
        parts = [part.strip() for part in raw.split(",") if part.strip()]
        if not parts or not all(p.isdigit() and int(p) < count for p in parts):
            raise SettingsError(
                f"{PREFIX}SHARD_IDS must list shard numbers from 0 to {count - 1} separated by commas, got {raw!r}"
            )
        return count, tuple(sorted({int(p) for p in parts}))

    shard_count, shard_ids = shards()
    database_url = url("DATABASE_URL", ("postgresql", "postgresql+asyncpg", "postgres"))
    if database_url is not None:
        database_url = normalize_database_url(database_url)

    settings = Settings(
        database_url=database_url,
        redis_url=url("REDIS_URL", ("redis", "rediss", "unix")),
        discord_token=get("DISCORD_TOKEN"),
        discord_client_id=get("DISCORD_CLIENT_ID"),
        discord_client_secret=get("DISCORD_CLIENT_SECRET"),
        public_url=url("PUBLIC_URL", ("http", "https")),
        secret_key=get("SECRET_KEY"),
        data_dir=Path(get("DATA_DIR") or DEFAULTS.data_dir),
        http_host=get("HTTP_HOST") or DEFAULTS.http_host,
        http_port=integer("HTTP_PORT", DEFAULTS.http_port, 0, 65535),
        log_format=choice("LOG_FORMAT", DEFAULTS.log_format, LOG_FORMATS),
        log_level=choice("LOG_LEVEL", DEFAULTS.log_level, LOG_LEVELS, upper=True),
        queue_concurrency=integer("QUEUE_CONCURRENCY", DEFAULTS.queue_concurrency, 1, 256),
        database_pool_size=integer("DATABASE_POOL_SIZE", DEFAULTS.database_pool_size, 2, 500),
        queue_max_attempts=integer("QUEUE_MAX_ATTEMPTS", DEFAULTS.queue_max_attempts, 1, 100),
        discord_members_intent=flag("DISCORD_MEMBERS_INTENT", DEFAULTS.discord_members_intent),
        discord_requests_per_second=integer(
            "DISCORD_REQUESTS_PER_SECOND", DEFAULTS.discord_requests_per_second, 0, 10_000
        ),
        join_dm_delay_seconds=integer("JOIN_DM_DELAY_SECONDS", DEFAULTS.join_dm_delay_seconds, 0, 3600),
        sandbox_url=url("SANDBOX_URL", ("http", "https")),
        roles=roles("ROLES"),
        shard_count=shard_count,
        shard_ids=shard_ids,
    )
    if settings.secret_key is not None and len(settings.secret_key) < 32:
        raise SettingsError(f"{PREFIX}SECRET_KEY must be at least 32 characters long")
    if settings.discord_token:
        for name in ("DISCORD_CLIENT_ID", "DISCORD_CLIENT_SECRET", "SECRET_KEY", "PUBLIC_URL"):
            if get(name) is None:
                raise SettingsError(f"{PREFIX}{name} is required when {PREFIX}DISCORD_TOKEN is set")
    return settings


def check_roles(settings: Settings) -> None:
    """The roles fit the rest of the settings (``--sandbox`` is known only after the environment is read)."""
    if settings.sandbox and "web" not in settings.roles:
        raise SettingsError(
            f"{PREFIX}ROLES must include web with --sandbox (the local Discord is served over HTTP)"
        )


def normalize_database_url(url: str) -> str:
    """Accept the usual ``postgresql://`` spelling and use the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def ensure_secret_key(settings: Settings) -> Settings:
    """Without SECRET_KEY (local or sandbox use), keep a generated one in the data dir across runs."""
    if settings.secret_key:
        return settings
    path = settings.data_dir / "secret_key"
    if path.exists():
        key = path.read_text().strip()
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
    return settings.with_overrides(secret_key=key)
