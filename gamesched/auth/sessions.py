"""Server-side login state and sessions in the core cache; browsers only ever hold random ids.

Cache keys are SHA-256 digests of those ids, so a look at Redis does not hand out working cookies.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import msgspec

from gamesched.core.cache import Cache

LOGIN_STATE_TTL = timedelta(minutes=10)
SESSION_IDLE_TTL = timedelta(hours=24)
SESSION_MAX_AGE = timedelta(days=30)
ID_BYTES = 32

_LOGIN_PREFIX = "auth:login:"
_SESSION_PREFIX = "auth:session:"


def new_id() -> str:
    """An unguessable id for a cookie or an OAuth state (32 random bytes, URL-safe)."""
    return secrets.token_urlsafe(ID_BYTES)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class LoginState(msgspec.Struct, frozen=True, kw_only=True):
    """One pending login: which browser started it, where to go after, when it began (epoch seconds)."""

    browser_digest: str
    next_path: str
    created_at: float


class SessionRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A logged-in browser: who, Discord's tokens for them, and times (epoch seconds)."""

    user_id: int
    username: str
    global_name: str | None
    avatar: str | None
    access_token: str
    refresh_token: str
    access_expires_at: float
    created_at: float
    seen_at: float


class SessionStore:
    """Login states (single use, 10 minutes) and sessions (24 h sliding, 30 days at most) in a Cache."""

    def __init__(self, cache: Cache) -> None:
        self._cache = cache
        self._encoder = msgspec.json.Encoder()
        self._login_decoder = msgspec.json.Decoder(LoginState)
        self._session_decoder = msgspec.json.Decoder(SessionRecord)

    async def put_login(self, state: str, login: LoginState) -> None:
        await self._cache.set(
            _LOGIN_PREFIX + digest(state),
            self._encoder.encode(login),
            ttl_seconds=LOGIN_STATE_TTL.total_seconds(),
        )

    async def take_login(self, state: str) -> LoginState | None:
        """The pending login for ``state``, removed so it cannot be used twice."""
        raw = await self._cache.pop(_LOGIN_PREFIX + digest(state))
        if raw is None:
            return None
        try:
            return self._login_decoder.decode(raw)
        except msgspec.DecodeError:
            return None

    async def get(self, session_id: str) -> SessionRecord | None:
        raw = await self._cache.get(_SESSION_PREFIX + digest(session_id))
        if raw is None:
            return None
        try:
            return self._session_decoder.decode(raw)
        except msgspec.DecodeError:
            return None

    async def save(self, session_id: str, record: SessionRecord) -> None:
        """Store (or touch) a session; every save restarts the idle timer."""
        await self._cache.set(
            _SESSION_PREFIX + digest(session_id),
            self._encoder.encode(record),
            ttl_seconds=SESSION_IDLE_TTL.total_seconds(),
        )

    async def delete(self, session_id: str) -> None:
        await self._cache.delete(_SESSION_PREFIX + digest(session_id))
