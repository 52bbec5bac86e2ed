"""A local Discord (REST v10, gateway, OAuth2, control API) that the real discord.py client runs against."""

from .core.exchanges import Exchange, observe
from .core.ratelimit import BucketRule
from .core.sandbox import Sandbox
from .oauth.grants import oauth_store
from .router import build_sandbox_router, point_discord_py_at
from .state.default_world import default_world
from .state.model import ALL_PERMISSIONS
from .state.sandbox_state import SandboxState
from .state.validation import validate_message
from .state.world_file import WORLD_FILE_NAME
from .viewer.markup import relative_time

__all__ = [
    "ALL_PERMISSIONS",
    "WORLD_FILE_NAME",
    "BucketRule",
    "Exchange",
    "Sandbox",
    "SandboxState",
    "build_sandbox_router",
    "default_world",
    "oauth_store",
    "observe",
    "point_discord_py_at",
    "relative_time",
    "validate_message",
]
