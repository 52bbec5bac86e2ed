"""What every HTTP exchange goes through: security headers on each response.

The dashboard is written for ``PAGE_POLICY``: no inline script, style, ``style=`` attribute or event handler
(scripts and styles are files under /static; htmx is told not to inject its indicator style or evaluate
code). Under ``/sandbox`` (the stand-in for Discord) responses are left as they are.
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

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
