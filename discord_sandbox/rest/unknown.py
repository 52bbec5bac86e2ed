"""Calls the sandbox does not implement: Discord's 404 body, a warning, and a record for the control API.

A catch-all route takes unknown paths; for the paths the sandbox does serve, one more handler per path takes
the methods it does not (else Litestar would answer its own 405, which no Discord client expects).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, route
from litestar.di import NamedDependency
from litestar.enums import HttpMethod, MediaType
from litestar.handlers import HTTPRouteHandler

from ..core.sandbox import Sandbox
from .common import NO_AUTH

METHODS = (HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE)
NOT_FOUND = {"message": "404: Not Found", "code": 0}
OPT = {**NO_AUTH, "bucket": None, "unknown_route": True}


async def _not_implemented(
    request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]
) -> Response[Any]:
    api_root = request.scope.get("root_path", "") + "/sandbox/discord/api"
    path = request.url.path.removeprefix(api_root).removeprefix("/v10")
    sandbox.note_unknown_route(request.method, path)
    return Response(NOT_FOUND, status_code=404, media_type=MediaType.JSON)


def unknown_route_handlers(handlers: list[HTTPRouteHandler]) -> list[HTTPRouteHandler]:
    """The catch-all, plus a handler for the missing methods of every path in `handlers`."""
    served: dict[str, set[str]] = {}
    for handler in handlers:
        for path in handler.paths:
            served.setdefault(path, set()).update(handler.http_methods)
    fallbacks = [
        route(path, http_method=missing, opt=OPT, status_code=404, name=f"unknown:{path}")(_not_implemented)
        for path, methods in served.items()
        if (missing := [m for m in METHODS if m not in methods])
    ]
    catch_alls = [
        route(f"{prefix}/{{_unknown_path:path}}", http_method=list(METHODS), opt=OPT, status_code=404)(
            _not_implemented
        )
        for prefix in _catch_all_prefixes(list(served))
    ]
    return [*catch_alls, *fallbacks]


def _catch_all_prefixes(paths: list[str]) -> list[str]:
    """Where a `{…:path}` catch-all can go without shadowing a served route.

    Litestar's router does not backtrack, so an unknown path below a served prefix needs a catch-all of its
    own there; but Litestar tries a `path` parameter before an ordinary one, so a prefix followed by a
    parameter (`/channels` → `{channel_id}`) gets none: its unknown children answer Litestar's 404.
    """
    split = [path.strip("/").split("/") for path in paths]
    prefixes = {tuple(parts[:depth]) for parts in split for depth in range(0, len(parts) + 1)}
    found = []
    for prefix in sorted(prefixes):
        following = {
            parts[len(prefix)]
            for parts in split
            if tuple(parts[: len(prefix)]) == prefix and len(parts) > len(prefix)
        }
        if not any(segment.startswith("{") for segment in following):
            found.append("/" + "/".join(prefix))
    return [prefix.rstrip("/") for prefix in found]
