"""`/api`: the control API handlers, with errors as `{"error": code, ...}`."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request, Response, Router
from litestar.enums import MediaType
from litestar.exceptions import HTTPException

from ..state.errors import ControlError
from .gateway_ops import GATEWAY_HANDLERS
from .messages import MESSAGE_HANDLERS
from .ops import OPS_HANDLERS
from .permissions import PERMISSION_HANDLERS
from .rate_limits import RATE_LIMIT_HANDLERS
from .world import WORLD_HANDLERS

log = structlog.get_logger(__name__)


def control_error_response(_: Request[Any, Any, Any], exc: ControlError) -> Response[dict[str, Any]]:
    """Render a ControlError."""
    return Response({"error": exc.error, **exc.extra}, status_code=exc.status, media_type=MediaType.JSON)


def _control_http_error(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, HTTPException):
        error = "bad_request" if exc.status_code == 400 else "http_error"
        return Response(
            {"error": error, "message": str(exc.detail)},
            status_code=exc.status_code,
            media_type=MediaType.JSON,
        )
    log.exception("sandbox_control_crashed", error=str(exc))
    return Response(
        {"error": "internal_error", "message": str(exc)}, status_code=500, media_type=MediaType.JSON
    )


def control_api_router() -> Router:
    """The control API for tests, benchmarks and curl."""
    return Router(
        path="/api",
        route_handlers=[
            *WORLD_HANDLERS,
            *MESSAGE_HANDLERS,
            *PERMISSION_HANDLERS,
            *OPS_HANDLERS,
            *GATEWAY_HANDLERS,
            *RATE_LIMIT_HANDLERS,
        ],
        exception_handlers={
            ControlError: control_error_response,
            HTTPException: _control_http_error,
            Exception: _control_http_error,
        },
    )
