"""Discord's OAuth2 authorization-code flow, spoken over httpx (real Discord or the sandbox, same code)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import structlog

from gamesched.core.config import Settings

log = structlog.get_logger(__name__)

DISCORD_AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_CDN = "https://cdn.discordapp.com"
SCOPES = ("identify", "guilds", "guilds.members.read")
CALLBACK_PATH = "/api/v1/auth/callback"
REQUEST_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, kw_only=True)
class OAuthSettings:
    """Where and as whom the app logs people in with Discord."""

    client_id: str
    client_secret: str
    authorize_url: str
    api_base: str
    redirect_uri: str
    scopes: tuple[str, ...] = SCOPES

    @property
    def token_url(self) -> str:
        return f"{self.api_base}/oauth2/token"

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def secure_cookies(self) -> bool:
        """Cookies are ``Secure`` when the app is reached over https."""
        return self.redirect_uri.startswith("https://")


def oauth_settings_for(
    settings: Settings,
    *,
    sandbox_client_id: str | None = None,
    sandbox_client_secret: str | None = None,
) -> OAuthSettings:
    """Sandbox mode logs in against the sandbox Discord under ``/sandbox/discord`` (this process's, or the
    one at GAMESCHED_SANDBOX_URL); otherwise real Discord."""
    base = settings.sandbox_url or settings.base_url
    redirect_uri = settings.base_url + CALLBACK_PATH
    if settings.sandbox or settings.sandbox_url:
        return OAuthSettings(
            client_id=sandbox_client_id or settings.discord_client_id or "",
            client_secret=sandbox_client_secret or settings.discord_client_secret or "",
            authorize_url=f"{base}/sandbox/discord/oauth2/authorize",
            api_base=f"{base}/sandbox/discord/api/v10",
            redirect_uri=redirect_uri,
        )
    return OAuthSettings(
        client_id=settings.discord_client_id or "",
        client_secret=settings.discord_client_secret or "",
        authorize_url=DISCORD_AUTHORIZE_URL,
        api_base=DISCORD_API_BASE,
        redirect_uri=redirect_uri,
    )


class OAuthError(Exception):
    """Discord refused (``retryable`` False: bad code, revoked grant) or could not be reached (True)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True, kw_only=True)
class TokenGrant:
    access_token: str
    refresh_token: str
    expires_in: float
    scope: str


@dataclass(frozen=True, kw_only=True)
class DiscordUser:
    id: int
    username: str
    global_name: str | None
    avatar: str | None

    @property
    def avatar_url(self) -> str | None:
        return avatar_url(self.id, self.avatar)


def avatar_url(user_id: int, avatar_hash: str | None) -> str | None:
    """The CDN URL of a custom avatar (animated ones as gif); None when the user has none."""
    if not avatar_hash:
        return None
    extension = "gif" if avatar_hash.startswith("a_") else "png"
    return f"{DISCORD_CDN}/avatars/{user_id}/{avatar_hash}.{extension}"


def authorize_url(oauth: OAuthSettings, state: str) -> str:
    """Discord's consent page for this app; ``prompt=none`` skips it for people who already agreed."""
    query = {
        "client_id": oauth.client_id,
        "redirect_uri": oauth.redirect_uri,
        "response_type": "code",
        "scope": " ".join(oauth.scopes),
        "state": state,
        "prompt": "none",
    }
    return f"{oauth.authorize_url}?{urlencode(query, quote_via=quote)}"


class DiscordOAuthClient:
    """The three calls the login needs: exchange a code, refresh a grant, read the user."""

    def __init__(self, oauth: OAuthSettings, http_client: httpx.AsyncClient | None = None) -> None:
        self._oauth = oauth
        self._owns_client = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS)

    async def exchange_code(self, code: str) -> TokenGrant:
        return await self._token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": self._oauth.redirect_uri}
        )

    async def refresh(self, refresh_token: str) -> TokenGrant:
        return await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def current_user(self, access_token: str) -> DiscordUser:
        body = await self._call(
            "GET", f"{self._oauth.api_base}/users/@me", headers={"Authorization": f"Bearer {access_token}"}
        )
        try:
            return DiscordUser(
                id=int(body["id"]),
                username=str(body["username"]),
                global_name=body.get("global_name") or None,
                avatar=body.get("avatar") or None,
            )
        except (KeyError, TypeError, ValueError):
            raise OAuthError("Discord sent a user we could not read.", retryable=False) from None

    async def close(self) -> None:
        if self._owns_client:
            await self._http.aclose()

    async def _token(self, form: dict[str, str]) -> TokenGrant:
        credentials = {"client_id": self._oauth.client_id, "client_secret": self._oauth.client_secret}
        body = await self._call("POST", self._oauth.token_url, data=form | credentials)
        try:
            return TokenGrant(
                access_token=str(body["access_token"]),
                refresh_token=str(body["refresh_token"]),
                expires_in=float(body["expires_in"]),
                scope=str(body.get("scope", "")),
            )
        except (KeyError, TypeError, ValueError):
            raise OAuthError("Discord sent a token we could not read.", retryable=False) from None

    async def _call(self, method: str, url: str, **options: Any) -> dict[str, Any]:
        try:
            response = await self._http.request(method, url, **options)
        except httpx.HTTPError as exc:
            log.warning("discord_oauth_unreachable", url=url, error=str(exc))
            raise OAuthError("Discord could not be reached.", retryable=True) from None
        if response.status_code >= 400:
            retryable = response.status_code == 429 or response.status_code >= 500
            log.warning("discord_oauth_error", url=url, status=response.status_code, body=response.text[:200])
            raise OAuthError(f"Discord refused the request ({response.status_code}).", retryable=retryable)
        try:
            body = response.json()
        except ValueError:
            raise OAuthError("Discord sent a response we could not read.", retryable=True) from None
        if not isinstance(body, dict):
            raise OAuthError("Discord sent a response we could not read.", retryable=True)
        return body
