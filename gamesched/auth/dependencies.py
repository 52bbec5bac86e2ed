"""Litestar dependencies: ``viewer`` (401 without a session) and ``optional_viewer``.

A form posted to a route marked ``keep_draft`` without a live session is kept for after the login
(``gamesched.web.drafts``).

Both need the app-wide dependency ``auth`` (the AuthService), registered in the composition root.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency

from gamesched.core.errors import Unauthorized
from gamesched.web import DRAFT_STATE_KEY, KEEP_DRAFT, FormData, keep_draft

from .service import AuthService, Viewer

SESSION_COOKIE = "gamesched_session"
LOGIN_COOKIE = "gamesched_login"
LOGIN_REQUIRED = "Log in with Discord first."


async def provide_optional_viewer(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthService]
) -> Viewer | None:
    """The logged-in person, or None."""
    return await auth.viewer_for(request.cookies.get(SESSION_COOKIE))


async def provide_viewer(request: Request[Any, Any, Any], auth: NamedDependency[AuthService]) -> Viewer:
    """The logged-in person; raises Unauthorized (401) without a live session."""
    viewer = await auth.viewer_for(request.cookies.get(SESSION_COOKIE))
    if viewer is None:
        if request.method == "POST" and request.route_handler.opt.get(KEEP_DRAFT):
            # The session ended while a form was being filled in: keep what was typed over the login.
            form = FormData.of(await request.form())
            request.state[DRAFT_STATE_KEY] = await keep_draft(request.app.state.cache, form)
        raise Unauthorized(LOGIN_REQUIRED)
    return viewer
