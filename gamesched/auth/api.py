"""JSON routes of the login: /api/v1/auth/login, /auth/callback, /auth/logout and /me."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect

from gamesched.http import BAD_REQUEST, ErrorBody

from .dependencies import LOGIN_COOKIE, SESSION_COOKIE
from .schemas import MemberGuild, MeResponse, UserProfile
from .service import AuthService, Viewer
from .sessions import LOGIN_STATE_TTL, SESSION_MAX_AGE

LOGIN_COOKIE_PATH = "/api/v1/auth"
LOGIN_FAILED = ResponseSpec(
    ErrorBody, description="The login cannot complete (cancelled, expired, or begun in another browser)."
)


def secure_cookie(request: Request[Any, Any, Any], auth: AuthService) -> bool:
    """``Secure`` when the public URL is https or this request came over https (uvicorn takes the scheme from
    ``X-Forwarded-Proto`` of a proxy on 127.0.0.1); plain http on localhost keeps the cookie usable."""
    return auth.oauth.secure_cookies or request.url.scheme == "https"


@get("/auth/login", summary="Log in with Discord", responses={400: BAD_REQUEST})
async def login(
    request: Request[Any, Any, Any],
    auth: NamedDependency[AuthService],
    next_path: Annotated[
        str | None, QueryParameter(name="next", description="Same-site path to return to")
    ] = None,
) -> Redirect:
    """302 to Discord's consent page; a short-lived cookie binds the login to this browser."""
    start = await auth.begin_login(next_path=next_path, browser_key=request.cookies.get(LOGIN_COOKIE))
    response = Redirect(start.authorize_url)
    response.set_cookie(
        LOGIN_COOKIE,
        start.browser_key,
        max_age=int(LOGIN_STATE_TTL.total_seconds()),
        path=LOGIN_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure_cookie(request, auth),
    )
    return response


@get("/auth/callback", summary="Discord sends the browser back here", responses={400: LOGIN_FAILED})
async def callback(
    request: Request[Any, Any, Any],
    auth: NamedDependency[AuthService],
    code: FromQuery[str | None] = None,
    # "state" is a reserved parameter name in Litestar (the app state), hence the alias.
    oauth_state: Annotated[str | None, QueryParameter(name="state")] = None,
    error: FromQuery[str | None] = None,
) -> Redirect:
    """Open the session and go back where the login started; 400 when the login cannot complete."""
    done = await auth.complete_login(
        code=code,
        state=oauth_state,
        error=error,
        browser_key=request.cookies.get(LOGIN_COOKIE),
        previous_session_id=request.cookies.get(SESSION_COOKIE),
    )
    response = Redirect(done.next_path)
    response.set_cookie(
        SESSION_COOKIE,
        done.session_id,
        max_age=int(SESSION_MAX_AGE.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookie(request, auth),
    )
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN_COOKIE_PATH)
    return response


@post("/auth/logout", status_code=204, summary="Log out")
async def logout(request: Request[Any, Any, Any], auth: NamedDependency[AuthService]) -> Response[None]:
    """End the session (if any) and clear its cookie."""
    await auth.logout(request.cookies.get(SESSION_COOKIE))
    response: Response[None] = Response(None, status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@get("/me", summary="Who am I, and which servers can I use")
async def me(viewer: NamedDependency[Viewer], auth: NamedDependency[AuthService]) -> MeResponse:
    """The viewer and the guilds they share with the bot, with their standing in each."""
    guilds = await auth.guilds_for(viewer)
    return MeResponse(
        user=UserProfile(
            discord_id=str(viewer.user_id),
            username=viewer.username,
            global_name=viewer.global_name,
            display_name=viewer.display_name,
            avatar_url=viewer.avatar_url,
        ),
        guilds=[
            MemberGuild(
                id=str(guild.id),
                name=guild.name,
                icon_url=guild.icon_url,
                is_manager=access.is_manager,
                can_host=access.can_host,
            )
            for guild, access in guilds
        ],
    )


auth_routes: list[Any] = [Router(path="/api/v1", route_handlers=[login, callback, logout, me], tags=["auth"])]
