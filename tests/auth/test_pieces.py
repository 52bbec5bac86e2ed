"""The pure parts of the login: settings, URLs, redirect targets, login state and session storage."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from gamesched.auth import AuthService, LoginFailed, OAuthSettings, Viewer, oauth_settings_for
from gamesched.auth.oauth import authorize_url, avatar_url
from gamesched.auth.service import safe_next
from gamesched.auth.sessions import SessionRecord, SessionStore, digest, new_id
from gamesched.core.cache import MemoryCache
from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from gamesched.core.errors import DomainError


class NoGuilds:
    async def guilds_for_user(self, user_id: int) -> list[tuple[object, object]]:
        return []


def service(clock: FakeClock, **overrides: str) -> AuthService:
    oauth = OAuthSettings(
        client_id="123",
        client_secret="s3cret",
        authorize_url="http://127.0.0.1:9/sandbox/discord/oauth2/authorize",
        api_base="http://127.0.0.1:9/sandbox/discord/api/v10",
        redirect_uri="http://127.0.0.1:9/api/v1/auth/callback",
    )
    oauth = OAuthSettings(**(oauth.__dict__ | overrides))
    return AuthService(oauth=oauth, cache=MemoryCache(clock), clock=clock, guilds=NoGuilds())  # type: ignore[arg-type]


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def test_sandbox_settings_point_at_the_local_discord(tmp_path: Path) -> None:
    settings = Settings(sandbox=True, http_port=8123, data_dir=tmp_path)

    oauth = oauth_settings_for(settings, sandbox_client_id="42", sandbox_client_secret="shh")

    assert oauth.client_id == "42" and oauth.client_secret == "shh"
    assert oauth.authorize_url == "http://127.0.0.1:8123/sandbox/discord/oauth2/authorize"
    assert oauth.token_url == "http://127.0.0.1:8123/sandbox/discord/api/v10/oauth2/token"
    assert oauth.redirect_uri == "http://127.0.0.1:8123/api/v1/auth/callback"
    assert oauth.scopes == ("identify", "guilds", "guilds.members.read") and not oauth.secure_cookies


def test_real_settings_use_discord_and_public_url() -> None:
    settings = Settings(
        public_url="https://games.example/", discord_client_id="77", discord_client_secret="pw"
    )

    oauth = oauth_settings_for(settings)

    assert oauth.authorize_url == "https://discord.com/oauth2/authorize"
    assert oauth.api_base == "https://discord.com/api/v10"
    assert oauth.redirect_uri == "https://games.example/api/v1/auth/callback"
    assert (oauth.client_id, oauth.client_secret, oauth.secure_cookies) == ("77", "pw", True)


def test_authorize_url_carries_every_required_parameter() -> None:
    oauth = oauth_settings_for(
        Settings(public_url="https://g.example", discord_client_id="9", discord_client_secret="x")
    )

    url = authorize_url(oauth, "the-state")

    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://discord.com/oauth2/authorize?")
    assert {k: v[0] for k, v in query.items()} == {
        "client_id": "9",
        "redirect_uri": "https://g.example/api/v1/auth/callback",
        "response_type": "code",
        "scope": "identify guilds guilds.members.read",
        "state": "the-state",
        "prompt": "none",
    }


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.example",
        "//evil.example/path",
        "https://evil.example",
        "http:evil.example",
        "javascript:alert(1)",
        "/\\evil.example",
        "/ok\\..\\evil",
        "evil.example",
        "/games\r\nSet-Cookie: x=1",
        "/" + "a" * 3000,
    ],
)
def test_next_never_leaves_the_site(target: str | None) -> None:
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/games", "/guilds/1/games?status=scheduled#top", "/a/b%2Fc"])
def test_next_keeps_same_site_paths(target: str) -> None:
    assert safe_next(target) == target


def test_viewer_display_name_prefers_global_name() -> None:
    assert (
        Viewer(user_id=1, username="alice", global_name="Alice A", avatar_url=None).display_name == "Alice A"
    )
    assert Viewer(user_id=1, username="alice", global_name=None, avatar_url=None).display_name == "alice"


def test_avatar_url_is_the_cdn_image_or_none() -> None:
    assert avatar_url(5, None) is None
    assert avatar_url(5, "abc") == "https://cdn.discordapp.com/avatars/5/abc.png"
    assert avatar_url(5, "a_abc") == "https://cdn.discordapp.com/avatars/5/a_abc.gif"


def test_ids_are_long_random_and_stored_only_as_digests() -> None:
    first, second = new_id(), new_id()

    assert first != second and len(first) >= 43  # 32 bytes of randomness, URL-safe base64
    assert digest(first) != first and len(digest(first)) == 64


async def test_session_store_slides_and_expires(clock: FakeClock) -> None:
    store = SessionStore(MemoryCache(clock))
    now = clock.now().timestamp()
    record = SessionRecord(
        user_id=1,
        username="u",
        global_name=None,
        avatar=None,
        access_token="a",
        refresh_token="r",
        access_expires_at=now + 3600,
        created_at=now,
        seen_at=now,
    )
    await store.save("sid", record)

    clock.advance(hours=23)
    assert await store.get("sid") == record
    await store.save("sid", record)  # a touch restarts the 24 h idle timer
    clock.advance(hours=23)
    assert await store.get("sid") == record
    clock.advance(hours=1, seconds=1)
    assert await store.get("sid") is None


async def test_login_state_is_single_use(clock: FakeClock) -> None:
    auth = service(clock)
    start = await auth.begin_login(next_path="/games", browser_key=None)
    state = state_of(start.authorize_url)

    with pytest.raises(LoginFailed) as missing_code:
        await auth.complete_login(code=None, state=state, error=None, browser_key=start.browser_key)
    with pytest.raises(LoginFailed) as reused:
        await auth.complete_login(code="c", state=state, error=None, browser_key=start.browser_key)

    assert missing_code.value.code == "login_failed"
    assert reused.value.code == "invalid_state" and reused.value.status_code == 400


async def test_login_state_expires_after_ten_minutes(clock: FakeClock) -> None:
    auth = service(clock)
    start = await auth.begin_login(next_path=None, browser_key=None)

    clock.advance(timedelta(minutes=10, seconds=1))

    with pytest.raises(LoginFailed) as expired:
        await auth.complete_login(
            code="c", state=state_of(start.authorize_url), error=None, browser_key=start.browser_key
        )
    assert expired.value.code == "invalid_state"


async def test_login_state_is_bound_to_the_browser_that_started_it(clock: FakeClock) -> None:
    auth = service(clock)
    start = await auth.begin_login(next_path=None, browser_key=None)
    state = state_of(start.authorize_url)

    with pytest.raises(LoginFailed) as other_browser:
        await auth.complete_login(code="c", state=state, error=None, browser_key=new_id())
    with pytest.raises(LoginFailed) as no_cookie:
        await auth.complete_login(code="c", state=state, error=None, browser_key=None)

    assert other_browser.value.code == "invalid_state"
    assert no_cookie.value.code == "invalid_state"  # the first attempt already used the state up


async def test_a_browser_keeps_its_key_across_parallel_logins(clock: FakeClock) -> None:
    auth = service(clock)
    first = await auth.begin_login(next_path=None, browser_key=None)

    second = await auth.begin_login(next_path=None, browser_key=first.browser_key)

    assert second.browser_key == first.browser_key
    assert state_of(first.authorize_url) != state_of(second.authorize_url)


async def test_login_without_client_credentials_is_unavailable(clock: FakeClock) -> None:
    auth = service(clock, client_id="")

    with pytest.raises(DomainError) as error:
        await auth.begin_login(next_path=None, browser_key=None)

    assert error.value.status_code == 503 and error.value.code == "unavailable"


async def test_unknown_or_missing_session_has_no_viewer(clock: FakeClock) -> None:
    auth = service(clock)

    assert await auth.viewer_for(None) is None
    assert await auth.viewer_for("") is None
    assert await auth.viewer_for(new_id()) is None
