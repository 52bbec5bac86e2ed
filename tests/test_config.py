from pathlib import Path

import pytest

from gamesched.core.config import SettingsError, check_roles, ensure_secret_key, load_settings


def test_defaults_need_no_environment() -> None:
    settings = load_settings({})
    assert settings.database_url is None
    assert settings.http_port == 8000
    assert settings.log_format == "console"
    assert settings.base_url == "http://127.0.0.1:8000"


def test_values_are_read_from_gamesched_variables() -> None:
    settings = load_settings(
        {
            "GAMESCHED_DATABASE_URL": "postgresql://u:p@db:5432/gs",
            "GAMESCHED_HTTP_PORT": "9000",
            "GAMESCHED_HTTP_HOST": "0.0.0.0",
            "GAMESCHED_LOG_FORMAT": "JSON",
            "GAMESCHED_LOG_LEVEL": "debug",
            "GAMESCHED_PUBLIC_URL": "https://games.example.org/",
            "GAMESCHED_DATABASE_POOL_SIZE": "8",
        }
    )
    assert settings.database_url == "postgresql+asyncpg://u:p@db:5432/gs"
    assert settings.database_pool_size == 8
    assert settings.http_port == 9000
    assert settings.log_format == "json"
    assert settings.log_level == "DEBUG"
    assert settings.base_url == "https://games.example.org"


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"GAMESCHED_HTTP_PORT": "eighty"}, "GAMESCHED_HTTP_PORT must be an integer"),
        ({"GAMESCHED_HTTP_PORT": "70000"}, "GAMESCHED_HTTP_PORT must be between 0 and 65535"),
        ({"GAMESCHED_LOG_FORMAT": "xml"}, "GAMESCHED_LOG_FORMAT must be one of console, json"),
        ({"GAMESCHED_DATABASE_POOL_SIZE": "1"}, "GAMESCHED_DATABASE_POOL_SIZE must be between 2 and 500"),
        ({"GAMESCHED_LOG_LEVEL": "loud"}, "GAMESCHED_LOG_LEVEL must be one of"),
        ({"GAMESCHED_DATABASE_URL": "mysql://x/y"}, "GAMESCHED_DATABASE_URL must be a URL starting with"),
        ({"GAMESCHED_REDIS_URL": "localhost:6379"}, "GAMESCHED_REDIS_URL must be a URL"),
        ({"GAMESCHED_PUBLIC_URL": "games.example.org"}, "GAMESCHED_PUBLIC_URL must be a URL"),
        ({"GAMESCHED_SECRET_KEY": "short"}, "GAMESCHED_SECRET_KEY must be at least 32 characters"),
        ({"GAMESCHED_DISCORD_TOKEN": "abc"}, "GAMESCHED_DISCORD_CLIENT_ID is required when"),
    ],
)
def test_bad_values_name_the_variable_in_one_line(environ: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ)
    message = str(caught.value)
    assert names in message
    assert "\n" not in message


def test_generated_secret_key_is_kept_across_runs(tmp_path: Path) -> None:
    settings = load_settings({"GAMESCHED_DATA_DIR": str(tmp_path)})
    first = ensure_secret_key(settings).secret_key
    second = ensure_secret_key(settings).secret_key
    assert first and first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_roles_default_to_all_three_and_read_a_comma_separated_list() -> None:
    assert load_settings({}).roles == frozenset({"web", "bot", "worker"})
    assert load_settings({"GAMESCHED_ROLES": " web, Worker "}).roles == frozenset({"web", "worker"})


@pytest.mark.parametrize("raw", ["web,cook", " , ", "web;bot"])
def test_unknown_roles_are_refused_in_one_line(raw: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"GAMESCHED_ROLES": raw})
    assert str(refused.value).startswith("GAMESCHED_ROLES must list one or more of web, bot, worker")
    assert "\n" not in str(refused.value)


def test_the_sandbox_needs_the_web_role() -> None:
    settings = load_settings({"GAMESCHED_ROLES": "bot,worker"}).with_overrides(sandbox=True)
    with pytest.raises(SettingsError, match="GAMESCHED_ROLES must include web with --sandbox"):
        check_roles(settings)
    check_roles(settings.with_overrides(roles=frozenset({"web"})))


def test_shards_default_to_one_connection_and_to_every_shard_of_the_count() -> None:
    assert load_settings({}).shard_count is None and load_settings({}).shard_ids is None
    every = load_settings({"GAMESCHED_SHARD_COUNT": "3"})
    assert every.shard_count == 3 and every.shard_ids == (0, 1, 2)
    some = load_settings({"GAMESCHED_SHARD_COUNT": "4", "GAMESCHED_SHARD_IDS": " 3, 1 ,1"})
    assert some.shard_count == 4 and some.shard_ids == (1, 3)


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"GAMESCHED_SHARD_COUNT": "0"}, "GAMESCHED_SHARD_COUNT must be between 1 and 10000, got 0"),
        ({"GAMESCHED_SHARD_COUNT": "two"}, "GAMESCHED_SHARD_COUNT must be an integer, got 'two'"),
        ({"GAMESCHED_SHARD_IDS": "0"}, "GAMESCHED_SHARD_IDS needs GAMESCHED_SHARD_COUNT"),
        (
            {"GAMESCHED_SHARD_COUNT": "2", "GAMESCHED_SHARD_IDS": "0,2"},
            "GAMESCHED_SHARD_IDS must list shard numbers from 0 to 1 separated by commas, got '0,2'",
        ),
        (
            {"GAMESCHED_SHARD_COUNT": "2", "GAMESCHED_SHARD_IDS": "-1"},
            "GAMESCHED_SHARD_IDS must list shard numbers from 0 to 1",
        ),
        ({"GAMESCHED_SHARD_COUNT": "2", "GAMESCHED_SHARD_IDS": ","}, "GAMESCHED_SHARD_IDS must list"),
    ],
)
def test_bad_shard_settings_are_refused_in_one_line(environ: dict[str, str], says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(environ)
    assert str(refused.value).startswith(says)
    assert "\n" not in str(refused.value)
