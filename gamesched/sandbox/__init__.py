"""A local Discord (REST v10, gateway, OAuth2, control API) that the real discord.py client runs against."""

from .router import build_sandbox_router, point_discord_py_at
from .sandbox import Sandbox
from .state import SandboxState
from .world import default_world

__all__ = ["Sandbox", "SandboxState", "build_sandbox_router", "default_world", "point_discord_py_at"]
