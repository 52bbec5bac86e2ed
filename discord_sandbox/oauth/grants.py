"""OAuth2 grants of the sandbox: authorization codes and access/refresh tokens, kept in memory per Sandbox."""

from __future__ import annotations

import secrets
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..core.sandbox import Sandbox
from ..state.model import User

CODE_TTL = timedelta(minutes=10)
ACCESS_TOKEN_TTL = timedelta(seconds=604800)


def utcnow() -> datetime:
    """The real clock; tests replace `OAuthStore.clock`."""
    return datetime.now(UTC)


@dataclass(kw_only=True)
class AuthCode:
    """A code handed to the app's redirect_uri, redeemable once."""

    user_id: int
    client_id: str
    redirect_uri: str
    scope: str
    expires_at: datetime


@dataclass(kw_only=True)
class Grant:
    """An access token together with the refresh token that can replace it."""

    user_id: int
    client_id: str
    scope: str
    access_token: str
    refresh_token: str
    expires_at: datetime

    @property
    def scopes(self) -> set[str]:
        return set(self.scope.split())


@dataclass(kw_only=True)
class OAuthStore:
    """Authorization codes and tokens of the sandbox, kept in memory."""

    clock: Callable[[], datetime] = utcnow
    codes: dict[str, AuthCode] = field(default_factory=dict)
    by_access: dict[str, Grant] = field(default_factory=dict)
    by_refresh: dict[str, Grant] = field(default_factory=dict)

    def issue_code(self, *, user_id: int, client_id: str, redirect_uri: str, scope: str) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthCode(
            user_id=user_id,
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=scope,
            expires_at=self.clock() + CODE_TTL,
        )
        return code

    def redeem_code(self, *, code: str, client_id: str, redirect_uri: str) -> Grant | str:
        """A new grant, or the error description when the code cannot be used."""
        found = self.codes.get(code)
        if found is None or found.client_id != client_id:
            return 'Invalid "code" in request.'
        if found.expires_at <= self.clock():
            del self.codes[code]
            return 'Invalid "code" in request.'
        if found.redirect_uri != redirect_uri:
            return 'Invalid "redirect_uri" in request.'
        del self.codes[code]
        return self._grant(user_id=found.user_id, client_id=client_id, scope=found.scope)

    def refresh(self, *, refresh_token: str, client_id: str) -> Grant | str:
        """Replace a grant: the old access and refresh tokens stop working."""
        old = self.by_refresh.get(refresh_token)
        if old is None or old.client_id != client_id:
            return 'Invalid "refresh_token" in request.'
        self.revoke(old)
        return self._grant(user_id=old.user_id, client_id=client_id, scope=old.scope)

    def revoke(self, grant: Grant) -> None:
        self.by_access.pop(grant.access_token, None)
        self.by_refresh.pop(grant.refresh_token, None)

    def grant_for(self, access_token: str) -> Grant | None:
        grant = self.by_access.get(access_token)
        if grant is not None and grant.expires_at <= self.clock():
            self.revoke(grant)
            return None
        return grant

    def _grant(self, *, user_id: int, client_id: str, scope: str) -> Grant:
        grant = Grant(
            user_id=user_id,
            client_id=client_id,
            scope=scope,
            access_token=secrets.token_urlsafe(30),
            refresh_token=secrets.token_urlsafe(30),
            expires_at=self.clock() + ACCESS_TOKEN_TTL,
        )
        self.by_access[grant.access_token] = grant
        self.by_refresh[grant.refresh_token] = grant
        return grant


_stores: weakref.WeakKeyDictionary[Sandbox, OAuthStore] = weakref.WeakKeyDictionary()


def oauth_store(sandbox: Sandbox) -> OAuthStore:
    """The sandbox's OAuth store, created on first use."""
    store = _stores.get(sandbox)
    if store is None:
        store = _stores[sandbox] = OAuthStore()
    return store


def oauth_grant_for_header(sandbox: Sandbox, authorization: str | None) -> Grant | None:
    """The live grant behind an `Authorization: Bearer ...` header, if any."""
    scheme, _, credential = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    grant = oauth_store(sandbox).grant_for(credential.strip())
    if grant is None or grant.user_id not in sandbox.state.users:
        return None
    return grant


def oauth_user_for_token(sandbox: Sandbox, authorization: str | None) -> User | None:
    """The user an `Authorization: Bearer ...` header logs in as, or None."""
    grant = oauth_grant_for_header(sandbox, authorization)
    return sandbox.state.users[grant.user_id] if grant is not None else None
