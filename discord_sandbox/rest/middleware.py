"""REST plumbing for `/sandbox/discord/api/v10`: Cloudflare's ban, injected faults, the global and per-route
rate limits, the invalid-request count, the call log, and every answer handed to the exchange observers (a
test suite's conformance check) when there are any."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
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
#: Answers that count toward Cloudflare's ban (429s too, unless of scope shared).
INVALID_STATUSES = frozenset({401, 403, 429})


class DiscordRestMiddleware(ASGIMiddleware):
    """Applies the ban, faults and rate limits to Discord REST calls and logs every one of them."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Answer with a ban, a fault or a 429, or pass the call on with rate limit headers."""
        path = scope["path"]
        if not path.startswith(API_PREFIX):
            await next_app(scope, receive, send)
            return
        sandbox = self.sandbox
        faults, limiter = sandbox.faults, sandbox.limiter
        call = _Call(sandbox, send, str(scope.get("method", "")), path)
        blocked = limiter.blocked_for() if faults.ban_on else None
        if blocked is not None:
            await call.banned(blocked)
            return
        fault = faults.take_rest_fault()
        if fault == 429:
            retry = faults.retry_after
            headers = {"Retry-After": retry_after_header(retry), "X-RateLimit-Scope": "shared"}
            await call.answer(429, _rate_limited(retry, is_global=False), headers)  # "shared": not invalid
            return
        if fault == 500:
            await call.answer(500, {"message": "500: Internal Server Error", "code": 0}, {})
            return

        if faults.global_limit_on and _bound_by_global_limit(scope, sandbox.bot_token):
            wait = limiter.hit_global()
            if wait is not None:
                headers = {
                    "Retry-After": retry_after_header(wait),
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                }
                await call.answer(429, _rate_limited(wait, is_global=True), headers, invalid=True)
                return

        extra_headers: dict[str, str] = {}
        bucket = scope["route_handler"].opt.get("bucket", DEFAULT_BUCKET)
        if faults.rate_limits and bucket is not None:
            verdict = limiter.hit(bucket, _major(scope))
            extra_headers = verdict.headers()
            if not verdict.allowed:
                headers = {
                    **extra_headers,
                    "Retry-After": retry_after_header(verdict.reset_after),
                    "X-RateLimit-Scope": "user",
                }
                await call.answer(
                    429, _rate_limited(verdict.reset_after, is_global=False), headers, invalid=True
                )
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
            sandbox.log_rest_call(call.method, path, status)
            if status in INVALID_STATUSES and faults.ban_on:
                limiter.note_invalid()
        if keep:
            raw = b"".join(chunks)
            unknown = bool(scope["route_handler"].opt.get("unknown_route"))
            _observe(call.method, path, status, json.loads(raw) if raw else None, unknown_route=unknown)


@dataclass
class _Call:
    """One REST call the middleware answers itself: the answer is sent, logged, observed and maybe counted."""

    sandbox: Sandbox
    send: Send
    method: str
    path: str

    async def answer(
        self, status: int, body: dict[str, Any], headers: dict[str, str], *, invalid: bool = False
    ) -> None:
        """`invalid`: the answer counts toward Cloudflare's ban (401, 403, and 429s not of scope shared)."""
        await _send_json(self.send, status, body, headers)
        self.sandbox.log_rest_call(self.method, self.path, status)
        if invalid and self.sandbox.faults.ban_on:
            self.sandbox.limiter.note_invalid()
        _observe(self.method, self.path, status, body)

    async def banned(self, seconds: float) -> None:
        """Cloudflare's answer to a banned address: 429 with a plain text body and no `Via` (not the API's),
        so discord.py gives up at once instead of retrying."""
        limit = self.sandbox.limiter.invalid_rule
        text = (
            "error code: 1015\n\nYou are being blocked from accessing Discord's API: this address made "
            f"{limit.limit} invalid requests (401, 403 or 429) within {limit.per_seconds / 60:g} minutes. "
            f"The block lifts when that window ends, in {seconds:.0f} s.\n"
        )
        raw = text.encode()
        headers = {
            "content-type": "text/plain; charset=utf-8",
            "content-length": str(len(raw)),
            "retry-after": retry_after_header(seconds),
        }
        await self.send({"type": "http.response.start", "status": 429, "headers": _encode(headers)})
        await self.send({"type": "http.response.body", "body": raw, "more_body": False})
        self.sandbox.log_rest_call(self.method, self.path, 429)
        _observe(self.method, self.path, 429, text, edge=True)


def _rate_limited(retry_after: float, *, is_global: bool) -> dict[str, Any]:
    return {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": is_global,
        "code": 0,
    }


def _bound_by_global_limit(scope: Scope, bot_token: str) -> bool:
    """The bot's own calls count toward its global limit; interaction callbacks and webhook-token routes
    (authenticated by the token in their path), OAuth bearer calls and routes the sandbox lacks do not."""
    opt = scope["route_handler"].opt
    if opt.get("auth", "bot") == "none" or opt.get("unknown_route"):
        return False
    authorization = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"")
    return bool(authorization.decode("latin-1") == f"Bot {bot_token}")


def _observe(
    method: str, path: str, status: int, body: Any, *, unknown_route: bool = False, edge: bool = False
) -> None:
    if watched():
        below_root = path.removeprefix(API_PREFIX.rstrip("/")).removeprefix("/v10")
        notify(Exchange(method, below_root, status, body, unknown_route=unknown_route, edge=edge))


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
