"""Dashboard pages of the login: the "Log in with Discord" page and logging out."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect

from gamesched.web import DRAFT_QUERY, render

from .dependencies import SESSION_COOKIE
from .service import AuthService, Viewer, safe_next

LOGIN_START = "/api/v1/auth/login"


@get("/login", name="login")
async def login_page(
    optional_viewer: NamedDependency[Viewer | None],
    next_path: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Response[Any]:
    """Logged in already: go on. Otherwise one button that starts the Discord login."""
    target = safe_next(next_path)
    if optional_viewer is not None:
        return Redirect(target, status_code=303)
    return render(
        None,
        "login.html",
        login_url=f"{LOGIN_START}?{urlencode({'next': target})}",
        kept=_kept_sentence(target),
    )


def _kept_sentence(target: str) -> str | None:
    """Why the login is needed when it returns to a form kept over it (``gamesched.web.drafts``)."""
    parts = urlsplit(target)
    if DRAFT_QUERY not in parse_qs(parts.query):
        return None
    if parts.path == "/games/new":
        return "Your session ended. Log in again and your game is still here, as you typed it."
    return "Your session ended. Log in again and your changes are still here, as you typed them."


@post("/logout", status_code=303)
async def logout_page(request: Request[Any, Any, Any], auth: NamedDependency[AuthService]) -> Redirect:
    """End the session and show the login page."""
    await auth.logout(request.cookies.get(SESSION_COOKIE))
    response = Redirect("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


auth_pages: list[Any] = [login_page, logout_page]
