"""The auth module's registration: the login service, its routes and pages, and the ``viewer`` and
``optional_viewer`` dependencies every other route relies on."""

from __future__ import annotations

from litestar.di import Provide

from gamesched.core.modules import Contribution, ModuleContext
from gamesched.guilds import GuildService

from .api import auth_routes
from .dependencies import provide_optional_viewer, provide_viewer
from .oauth import OAuthSettings
from .pages import auth_pages
from .service import AuthService


def register(context: ModuleContext) -> Contribution:
    """Needs ``OAuthSettings`` (from the composition root: Discord's or the sandbox's) and the guilds."""
    auth = AuthService(
        oauth=context.get(OAuthSettings),
        cache=context.cache,
        clock=context.clock,
        guilds=context.get(GuildService),
    )
    context.provide(AuthService, auth)
    return Contribution(
        name="auth",
        routes=list(auth_routes),
        pages=list(auth_pages),
        dependencies={
            "auth": auth,
            "viewer": Provide(provide_viewer),
            "optional_viewer": Provide(provide_optional_viewer),
        },
        closers=[auth.close],
    )
