"""Login with Discord: the OAuth2 round trip, server-side sessions, token refresh, and who is asking."""

from __future__ import annotations

import asyncio
import hmac
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import httpx
import msgspec
import structlog

from gamesched.core.cache import Cache
from gamesched.core.clock import Clock
from gamesched.core.errors import DomainError
from gamesched.web.viewer import Viewer

from .oauth import DiscordOAuthClient, OAuthError, OAuthSettings, authorize_url, avatar_url
from .sessions import (
    LOGIN_STATE_TTL,
    SESSION_MAX_AGE,
    LoginState,
    SessionRecord,
    SessionStore,
    digest,
    new_id,
)

log = structlog.get_logger(__name__)

#: Refresh a little before Discord's expiry, so a request never goes out with a token about to die.
REFRESH_MARGIN = timedelta(minutes=1)
#: Restart the idle timer at most this often; every request would be a cache write for nothing.
TOUCH_INTERVAL = timedelta(minutes=1)
DEFAULT_NEXT = "/"
MAX_NEXT_LENGTH = 2000


class LoginFailed(DomainError):
    """The OAuth callback cannot complete; the person has to start the login again."""

    code = "login_failed"
    status_code = 400


class LoginUnavailable(DomainError):
    code = "unavailable"
    status_code = 503


class GuildLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def icon_url(self) -> str | None: ...


class AccessLike(Protocol):
    @property
    def is_manager(self) -> bool: ...
    @property
    def can_host(self) -> bool: ...


class MemberGuilds(Protocol):
    """What auth needs of the guilds module (its GuildService): the bot's view of a user's guilds."""

    async def guilds_for_user(self, user_id: int) -> Sequence[tuple[GuildLike, AccessLike]]: ...


@dataclass(frozen=True, slots=True)
class LoginStart:
    authorize_url: str
    browser_key: str


@dataclass(frozen=True, slots=True)
class LoginDone:
    session_id: str
    next_path: str
    viewer: Viewer


def safe_next(next_path: str | None) -> str:
    """A same-site path to land on after login; anything that could leave the site becomes ``/``."""
    if not next_path or len(next_path) > MAX_NEXT_LENGTH:
        return DEFAULT_NEXT
    # "//host" and "/\host" are protocol-relative to browsers; control characters can split headers.
    if not next_path.startswith("/") or next_path.startswith(("//", "/\\")):
        return DEFAULT_NEXT
    if "\\" in next_path or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in next_path):
        return DEFAULT_NEXT
    return next_path


class AuthService:
    """Logs people in with Discord and answers "who is this session?"."""

    def __init__(
        self,
        *,
        oauth: OAuthSettings,
        cache: Cache,
        clock: Clock,
        guilds: MemberGuilds,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.oauth = oauth
        self._discord = DiscordOAuthClient(oauth, http_client)
        self._sessions = SessionStore(cache)
        self._clock = clock
        self._guilds = guilds
        self._refresh_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def begin_login(self, *, next_path: str | None, browser_key: str | None) -> LoginStart:
        """Remember a single-use state bound to this browser and return Discord's consent URL."""
        if not self.oauth.configured:
            raise LoginUnavailable("Discord login is not configured on this server.")
        if not browser_key or not 32 <= len(browser_key) <= 128:
            browser_key = new_id()
        state = new_id()
        login = LoginState(
            browser_digest=digest(browser_key), next_path=safe_next(next_path), created_at=self._now()
        )
        await self._sessions.put_login(state, login)
        return LoginStart(authorize_url=authorize_url(self.oauth, state), browser_key=browser_key)

    async def complete_login(
        self,
        *,
        code: str | None,
        state: str | None,
        error: str | None,
        browser_key: str | None,
        previous_session_id: str | None = None,
    ) -> LoginDone:
        """Check the state, exchange the code, read the user, open a new session; nothing is kept on failure."""
        login = await self._sessions.take_login(state) if state else None
        if error:
            log.info("login_refused", error=error)
            if error == "access_denied":
                raise LoginFailed("You cancelled the login on Discord.", code="access_denied")
            raise LoginFailed("Discord did not log you in. Please try again.")
        if login is None or self._now() - login.created_at > LOGIN_STATE_TTL.total_seconds():
            raise LoginFailed(
                "This login link is missing, expired or already used. Please log in again.",
                code="invalid_state",
            )
        if not browser_key or not hmac.compare_digest(digest(browser_key), login.browser_digest):
            raise LoginFailed(
                "This login was started in another browser. Please log in again.", code="invalid_state"
            )
        if not code:
            raise LoginFailed("Discord did not send a login code. Please log in again.")
        try:
            grant = await self._discord.exchange_code(code)
            user = await self._discord.current_user(grant.access_token)
        except OAuthError as exc:
            log.warning("login_failed", reason=str(exc))
            raise LoginFailed("Discord did not confirm the login. Please try again.") from None
        now = self._now()
        record = SessionRecord(
            user_id=user.id,
            username=user.username,
            global_name=user.global_name,
            avatar=user.avatar,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            access_expires_at=now + grant.expires_in,
            created_at=now,
            seen_at=now,
        )
        # Always a fresh id: a session id planted before login must not become a logged-in one.
        await self.logout(previous_session_id)
        session_id = new_id()
        await self._sessions.save(session_id, record)
        log.info("login_succeeded", user_id=user.id)
        return LoginDone(session_id=session_id, next_path=login.next_path, viewer=_viewer(record))

    async def viewer_for(self, session_id: str | None) -> Viewer | None:
        """The person behind a session cookie, refreshing Discord's token when it has expired."""
        if not session_id:
            return None
        record = await self._sessions.get(session_id)
        if record is None:
            return None
        now = self._now()
        if now - record.created_at > SESSION_MAX_AGE.total_seconds():
            await self._sessions.delete(session_id)
            return None
        if record.access_expires_at - now <= REFRESH_MARGIN.total_seconds():
            refreshed = await self._refresh(session_id, record)
            if refreshed is None:
                return None
            record = refreshed
        if now - record.seen_at >= TOUCH_INTERVAL.total_seconds():
            record = msgspec.structs.replace(record, seen_at=now)
            await self._sessions.save(session_id, record)
        return _viewer(record)

    async def logout(self, session_id: str | None) -> None:
        if session_id:
            await self._sessions.delete(session_id)

    async def guilds_for(self, viewer: Viewer) -> Sequence[tuple[GuildLike, AccessLike]]:
        """Guilds shared with the bot where the viewer is a member, with their standing in each."""
        shared = await self._guilds.guilds_for_user(viewer.user_id)
        return sorted(shared, key=lambda pair: (pair[0].name.casefold(), pair[0].id))

    async def close(self) -> None:
        await self._discord.close()

    async def _refresh(self, session_id: str, stale: SessionRecord) -> SessionRecord | None:
        # Parallel requests of one browser must not race: Discord retires a refresh token on first use.
        key = digest(session_id)
        lock = self._refresh_locks.get(key)
        if lock is None:
            lock = self._refresh_locks[key] = asyncio.Lock()
        async with lock:
            current = await self._sessions.get(session_id)
            if current is None:
                return None
            if current.access_expires_at - self._now() > REFRESH_MARGIN.total_seconds():
                return current
            try:
                grant = await self._discord.refresh(current.refresh_token)
            except OAuthError as exc:
                if exc.retryable:
                    # Discord is down, not saying no: keep the session and try again on the next request.
                    log.warning("session_refresh_deferred", user_id=current.user_id, reason=str(exc))
                    return current
                latest = await self._sessions.get(session_id)
                if latest is not None and latest.refresh_token != current.refresh_token:
                    return latest  # another process refreshed first
                await self._sessions.delete(session_id)
                log.info("session_ended", user_id=current.user_id, reason="refresh_rejected")
                return None
            try:
                user = await self._discord.current_user(grant.access_token)
                profile = {"username": user.username, "global_name": user.global_name, "avatar": user.avatar}
            except OAuthError:
                profile = {}
            now = self._now()
            updated = msgspec.structs.replace(
                current,
                access_token=grant.access_token,
                refresh_token=grant.refresh_token,
                access_expires_at=now + grant.expires_in,
                seen_at=now,
                **profile,
            )
            await self._sessions.save(session_id, updated)
            log.info("session_refreshed", user_id=current.user_id)
            return updated

    def _now(self) -> float:
        return self._clock.now().timestamp()


def _viewer(record: SessionRecord) -> Viewer:
    return Viewer(
        user_id=record.user_id,
        username=record.username,
        global_name=record.global_name,
        avatar_url=avatar_url(record.user_id, record.avatar),
    )
