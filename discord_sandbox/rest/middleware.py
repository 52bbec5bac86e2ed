"""REST plumbing for `/sandbox/discord/api/v10`: injected faults, rate limits, the call log, and every answer
handed to the exchange observers (a test suite's conformance check) when there are any."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from ..core.exchanges import Exchange, notify, watched
from ..core.ratelimit import DEFAULT_BUCKET, retry_after_header

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from ..core.sandbox import Sandbox

API_PREFIX = "/sandbox/discord/api/"
MAJOR_PARAMETERS = ("channel_id", "guild_id", "token", "webhook_id")


class DiscordRestMiddleware(ASGIMiddleware):
    """Applies faults and rate limits to Discord REST calls and logs every one of them."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Answer with a fault or a 429, or pass the call on with rate limit headers."""
        path = scope["path"]
        if not path.startswith(API_PREFIX):
            await next_app(scope, receive, send)
            return
        sandbox = self.sandbox
        method = str(scope.get("method", ""))
        fault = sandbox.faults.take_rest_fault()
        if fault == 429:
            retry = sandbox.faults.retry_after
            body = {
                "message": "You are being rate limited.",
                "retry_after": retry,
                "global": False,
                "code": 0,
            }
            headers = {"Retry-After": retry_after_header(retry), "X-RateLimit-Scope": "shared"}
            await _send_json(send, 429, body, headers)
            sandbox.log_rest_call(method, path, 429)
            _observe(method, path, 429, body)
            return
        if fault == 500:
            body = {"message": "500: Internal Server Error", "code": 0}
            await _send_json(send, 500, body, {})
            sandbox.log_rest_call(method, path, 500)
            _observe(method, path, 500, body)
            return

        extra_headers: dict[str, str] = {}
        bucket = scope["route_handler"].opt.get("bucket", DEFAULT_BUCKET)
        if sandbox.faults.rate_limits and bucket is not None:
            verdict = sandbox.limiter.hit(bucket, _major(scope))
            extra_headers = verdict.headers()
            if not verdict.allowed:
                body = {
                    "message": "You are being rate limited.",
                    "retry_after": round(verdict.reset_after, 3),
                    "global": False,
                    "code": 0,
                }
                headers = {
                    **extra_headers,
                    "Retry-After": retry_after_header(verdict.reset_after),
                    "X-RateLimit-Scope": "user",
                }
                await _send_json(send, 429, body, headers)
                sandbox.log_rest_call(method, path, 429)
                _observe(method, path, 429, body)
                return

        status = 500
        keep = watched()
        chunks: list[bytes] = []

        delay = sandbox.faults.answer_delay

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                if delay:
                    await asyncio.sleep(delay)  # the call took effect; its answer is late
                status = message["status"]
                message["headers"] = [*message.get("headers", []), *_encode(extra_headers)]
            elif keep and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await next_app(scope, receive, send_with_headers)
        finally:
            sandbox.log_rest_call(method, path, status)
        if keep:
            raw = b"".join(chunks)
            unknown = bool(scope["route_handler"].opt.get("unknown_route"))
            _observe(method, path, status, json.loads(raw) if raw else None, unknown_route=unknown)


def _observe(method: str, path: str, status: int, body: Any, *, unknown_route: bool = False) -> None:
    if watched():
        below_root = path.removeprefix(API_PREFIX.rstrip("/")).removeprefix("/v10")
        notify(Exchange(method, below_root, status, body, unknown_route=unknown_route))


def _major(scope: Scope) -> str:
    params: dict[str, Any] = scope.get("path_params") or {}
    return next((str(params[key]) for key in MAJOR_PARAMETERS if key in params), "")


def _encode(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode(), v.encode()) for k, v in headers.items()]


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
    raw = json.dumps(body).encode()
    # discord.py trusts a 429 only when it came through a proxy (`Via`), as Discord's always do.
    all_headers = {
        "content-type": "application/json",
        "content-length": str(len(raw)),
        "via": "1.1 sandbox",
        **headers,
    }
    await send({"type": "http.response.start", "status": status, "headers": _encode(all_headers)})
    await send({"type": "http.response.body", "body": raw, "more_body": False})
