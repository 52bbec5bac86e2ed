"""What every HTTP exchange goes through: security headers on each response, and a CSRF check on each unsafe
request with a token bound to the browser's session.

The dashboard is written for ``PAGE_POLICY``: no inline script, style, ``style=`` attribute or event handler
(scripts and styles are files under /static; htmx is told not to inject its indicator style or evaluate
code). Under ``/sandbox`` (the stand-in for Discord) responses are left as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.datastructures.cookie import Cookie
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

#: Pages, fragments, JSON, static files and error responses: only this origin's files; avatars and server
#: icons come from Discord's CDN.
PAGE_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https://cdn.discordapp.com",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
#: The OpenAPI viewers under /schema are Litestar's pages: a script from a CDN started by an inline one.
SCHEMA_VIEWER_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src https: 'unsafe-inline'",
        "style-src https: 'unsafe-inline'",
        "font-src https: data:",
        "img-src 'self' https: data:",
        "connect-src 'self'",
        "worker-src blob:",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
SCHEMA_PREFIX = "/schema"
#: Paths that stand for an outside service (the sandbox Discord): none of the app's headers or checks.
OUTSIDE_PREFIXES = ("/sandbox",)
#: One year; no includeSubDomains, since gamesched is one site on a domain somebody else may also use.
HSTS = "max-age=31536000"
_FIXED_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}

CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"
CSRF_FIELD = "_csrf_token"
CSRF_FAILED = "CSRF token verification failed"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _same(submitted: str, expected: str) -> bool:
    """A constant-time comparison of text from a request, which may hold any character (``compare_digest``
    raises a TypeError for a str with non-ASCII characters: a 500)."""
    return hmac.compare_digest(submitted.encode(errors="surrogatepass"), expected.encode())


def security_headers(*, https_site: bool) -> Any:
    """A ``before_send`` hook (it sees every response, 404s and error pages included) that adds the headers
    a handler did not set itself; HSTS when the site's public URL or the request is https."""

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or scope["path"].startswith(OUTSIDE_PREFIXES):
            return
        headers = MutableScopeHeaders.from_message(message)
        html = headers.get("content-type", "").startswith("text/html")
        policy = SCHEMA_VIEWER_POLICY if html and scope["path"].startswith(SCHEMA_PREFIX) else PAGE_POLICY
        wanted = {**_FIXED_HEADERS, "content-security-policy": policy}
        if https_site or scope.get("scheme") == "https":
            wanted["strict-transport-security"] = HSTS
        for name, value in wanted.items():
            if name not in headers:
                headers[name] = value

    return add_headers


class SessionCSRF:
    """Unsafe requests must carry the CSRF token (header ``x-csrftoken`` or form field ``_csrf_token``).

    A logged-in browser's token is an HMAC of its session id, so a token from any other session is refused;
    it changes when the session does (log in, log out). A logged-out browser gets a random signed token and
    must send back the one in its cookie (double submit). Every safe request hands out the current token
    in the ``csrftoken`` cookie and to templates (``csrf_token()``).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: str,
        session_cookie: str,
        secure: bool = False,
        exclude: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.session_cookie = session_cookie
        self.secure = secure
        self.exclude = (*OUTSIDE_PREFIXES, *exclude)
        self._key = hmac.new(secret.encode(), b"gamesched csrf", hashlib.sha256).digest()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exclude):
            await self.app(scope, receive, send)
            return
        request = scope["litestar_app"].request_class(scope=scope, receive=receive)
        cookie = request.cookies.get(CSRF_COOKIE)
        session_id = request.cookies.get(self.session_cookie) or None
        if request.method in SAFE_METHODS:
            token = self.token_for(session_id, current=cookie)
        else:
            submitted = request.headers.get(CSRF_HEADER)
            content_type, _ = request.content_type
            if not submitted and content_type in {
                RequestEncodingType.URL_ENCODED,
                RequestEncodingType.MULTI_PART,
            }:
                submitted = (await request.form()).get(CSRF_FIELD)
            if not (isinstance(submitted, str) and self.accepts(submitted, session_id, cookie)):
                raise PermissionDeniedException(CSRF_FAILED)
            token = submitted
        ScopeState.from_scope(scope).csrf_token = token
        secure = self.secure or scope.get("scheme") == "https"
        await self.app(scope, receive, self._send_cookie(send, session_id, token, cookie, secure=secure))

    def accepts(self, submitted: str, session_id: str | None, cookie: str | None) -> bool:
        """Logged in: the session's own token; logged out: a signed token equal to the cookie's."""
        if session_id is not None:
            return _same(submitted, self._session_token(session_id))
        return cookie is not None and self._signed(cookie) and _same(submitted, cookie)

    def token_for(self, session_id: str | None, *, current: str | None = None) -> str:
        """The token of this session; logged out, ``current`` when it is a valid one, else a new one."""
        if session_id is not None:
            return self._session_token(session_id)
        if current is not None and self._signed(current):
            return current
        nonce = secrets.token_hex(16)
        return nonce + self._mac(b"anonymous:" + nonce.encode())

    def _session_token(self, session_id: str) -> str:
        return self._mac(b"session:" + hashlib.sha256(session_id.encode()).hexdigest().encode())

    def _signed(self, token: str) -> bool:
        nonce, mac = token[:32], token[32:]
        return len(token) == 96 and _same(mac, self._mac(b"anonymous:" + nonce.encode()))

    def _mac(self, data: bytes) -> str:
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()

    def _send_cookie(
        self, send: Send, session_id: str | None, token: str, cookie: str | None, *, secure: bool
    ) -> Send:
        """Set the cookie when the token changed, and re-bind it when this response opens or ends a session
        (the login callback, logging out), so the next unsafe request needs no GET in between."""

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                new_token = token
                changed, new_session = _session_set_by(headers, self.session_cookie)
                if changed:
                    new_token = self.token_for(new_session, current=cookie)
                if new_token != cookie:
                    headers.add("set-cookie", self._cookie(new_token, secure=secure))
            await send(message)

        return send_with_cookie

    def _cookie(self, token: str, *, secure: bool) -> str:
        cookie = Cookie(key=CSRF_COOKIE, value=token, path="/", secure=secure, httponly=False, samesite="lax")
        return cookie.to_header(header="")


def _session_set_by(headers: MutableScopeHeaders, name: str) -> tuple[bool, str | None]:
    """Whether the response sets the session cookie, and its new value (None when it deletes it)."""
    prefix = f"{name}="
    for value in headers.getall("set-cookie", []):
        if value.startswith(prefix):
            raw = value[len(prefix) :].split(";", 1)[0].strip('"')
            ended = not raw or "max-age=0" in value.lower()
            return True, None if ended else raw
    return False, None
