"""Control API (`/sandbox/api/rate-limits`): Discord's rate limits as they stand — the global limit's window,
the invalid-request count behind Cloudflare's ban, the per-route buckets — and their thresholds.

The switches are `POST /faults` (`rate_limits`, `global_rate_limit`, `invalid_request_ban`).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, patch
from litestar.di import NamedDependency

from ..core.ratelimit import BucketRule
from ..core.sandbox import Sandbox
from ..state.errors import ControlError
from .requests import json_body

LIMITS = {"global": "global_rule", "invalid_requests": "invalid_rule"}


def _state(sandbox: Sandbox) -> dict[str, Any]:
    return {**sandbox.limiter.as_json(), "switches": sandbox.faults.switches()}


@get("/rate-limits", sync_to_thread=False)
def rate_limits(sandbox: NamedDependency[Sandbox]) -> dict[str, Any]:
    """Counts and current windows: `global` (the bot's requests this second), `invalid_requests` (401/403/429
    in the window, `blocked_for` seconds once the ban holds), the per-route `buckets`; and the switches."""
    return _state(sandbox)


@patch("/rate-limits")
async def change_rate_limits(
    request: Request[Any, Any, Any], sandbox: NamedDependency[Sandbox]
) -> dict[str, Any]:
    """`{"global": {"limit": 5}, "invalid_requests": {"limit": 20, "per_seconds": 60}}`: lower Discord's
    thresholds (50 per second; 10,000 per 10 minutes) so a test reaches them in a few calls."""
    body = await json_body(request)
    limiter = sandbox.limiter
    for key, attribute in LIMITS.items():
        change = body.get(key)
        if change is None:
            continue
        current: BucketRule = getattr(limiter, attribute)
        try:
            limit = int(change.get("limit", current.limit))
            per_seconds = float(change.get("per_seconds", current.per_seconds))
        except (AttributeError, TypeError, ValueError):
            raise ControlError(400, "invalid_rate_limit", field=key) from None
        if limit < 1 or per_seconds <= 0:
            raise ControlError(400, "invalid_rate_limit", field=key)
        setattr(limiter, attribute, BucketRule(limit=limit, per_seconds=per_seconds))
    return _state(sandbox)


RATE_LIMIT_HANDLERS = [rate_limits, change_rate_limits]
