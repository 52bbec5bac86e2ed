"""Login with Discord and server-side sessions: who is asking, for every HTTP route."""

from .api import auth_routes
from .dependencies import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    provide_optional_viewer,
    provide_viewer,
)
from .module import register
from .oauth import OAuthSettings, oauth_settings_for
from .service import AuthService, LoginFailed, MemberGuilds, Viewer

__all__ = [
    "LOGIN_COOKIE",
    "SESSION_COOKIE",
    "AuthService",
    "LoginFailed",
    "MemberGuilds",
    "OAuthSettings",
    "Viewer",
    "auth_routes",
    "oauth_settings_for",
    "provide_optional_viewer",
    "provide_viewer",
    "register",
]
