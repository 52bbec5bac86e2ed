"""Discord's rate limits, in fixed windows on the sandbox's clock: per-route buckets with Discord's headers, the
global limit of the bot token, and the invalid-request counter behind Cloudflare's ban.

https://discord.com/developers/docs/topics/rate-limits
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BucketRule:
    """`limit` requests per `per_seconds` for each major parameter (channel, guild, webhook)."""

    limit: int
    per_seconds: float


# Discord-like values. Route handlers name their bucket in `opt={"bucket": ...}`; unnamed routes
# share DEFAULT_BUCKET per major parameter. Interaction callbacks are exempt, as on Discord.
RATE_LIMITS: dict[str, BucketRule] = {
    "message_create": BucketRule(limit=5, per_seconds=5.0),
    "message_edit": BucketRule(limit=5, per_seconds=5.0),
    "message_delete": BucketRule(limit=5, per_seconds=1.0),
    "dm_open": BucketRule(limit=10, per_seconds=10.0),
    "commands_write": BucketRule(limit=10, per_seconds=20.0),
    "webhook": BucketRule(limit=5, per_seconds=2.0),
    "member_search": BucketRule(limit=10, per_seconds=10.0),
    "default": BucketRule(limit=50, per_seconds=1.0),
}
DEFAULT_BUCKET = "default"
#: Every bot may make 50 requests per second, whatever the routes (interaction and webhook-token routes aside).
GLOBAL_LIMIT = BucketRule(limit=50, per_seconds=1.0)
#: 401, 403 and 429 answers (but 429s of scope "shared") a client may get in 10 minutes before Discord's
#: Cloudflare blocks its IP address until the window passes.
INVALID_REQUESTS = BucketRule(limit=10_000, per_seconds=600.0)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one request against its bucket."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: float
    bucket_hash: str

    def headers(self) -> dict[str, str]:
        """Discord's X-RateLimit-* headers."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": f"{time.time() + self.reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{self.reset_after:.3f}",
            "X-RateLimit-Bucket": self.bucket_hash,
        }


def retry_after_header(seconds: float) -> str:
    """Retry-After is whole seconds, rounded up."""
    return str(max(1, math.ceil(seconds)))


class Window:
    """A count in a fixed window that starts with its first hit."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.count = 0

    def current(self, now: float, rule: BucketRule) -> int:
        """The count in the window running at `now` (0 once it is over)."""
        if self.started is None or not 0 <= now - self.started < rule.per_seconds:
            self.started, self.count = None, 0  # over (or begun on a clock since replaced)
        return self.count

    def add(self, now: float, rule: BucketRule) -> None:
        self.current(now, rule)
        if self.started is None:
            self.started = now
        self.count += 1

    def reset_after(self, now: float, rule: BucketRule) -> float:
        """Seconds until the window ends (the full period when none is running)."""
        if self.current(now, rule) == 0 or self.started is None:
            return rule.per_seconds
        return max(0.0, rule.per_seconds - (now - self.started))

    def as_json(self, now: float, rule: BucketRule) -> dict[str, Any]:
        count = self.current(now, rule)
        return {
            "limit": rule.limit,
            "per_seconds": rule.per_seconds,
            "count": count,
            "window_reset_after": round(self.reset_after(now, rule), 3) if count else None,
        }


class RateLimiter:
    """Counts requests per (bucket, major parameter), the bot's requests for the global limit, and invalid
    requests, each in fixed windows on `clock` (monotonic seconds; tests replace it)."""

    def __init__(
        self, rules: dict[str, BucketRule] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rules = rules or RATE_LIMITS
        self.clock = clock
        self.global_rule = GLOBAL_LIMIT
        self.invalid_rule = INVALID_REQUESTS
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}
        self._global = Window()
        self._invalid = Window()

    def hit(self, bucket: str, major: str) -> Verdict:
        """Count one request; the verdict says whether it may proceed."""
        rule = self.rules.get(bucket) or self.rules[DEFAULT_BUCKET]
        now = self.clock()
        started, count = self._windows.get((bucket, major), (now, 0))
        if not 0 <= now - started < rule.per_seconds:
            started, count = now, 0
        reset_after = max(0.0, rule.per_seconds - (now - started))
        bucket_hash = hashlib.sha1(bucket.encode()).hexdigest()[:16]
        if count >= rule.limit:
            return Verdict(False, rule.limit, 0, reset_after, bucket_hash)
        self._windows[(bucket, major)] = (started, count + 1)
        return Verdict(True, rule.limit, rule.limit - count - 1, reset_after, bucket_hash)

    def hit_global(self) -> float | None:
        """Count one request of the bot toward the global limit: None if it may proceed, else the seconds to
        wait (the request is refused and not counted)."""
        now = self.clock()
        if self._global.current(now, self.global_rule) >= self.global_rule.limit:
            return self._global.reset_after(now, self.global_rule)
        self._global.add(now, self.global_rule)
        return None

    def note_invalid(self) -> None:
        """Count a 401, 403 or 429 (not of scope shared) answered to the client."""
        self._invalid.add(self.clock(), self.invalid_rule)

    def blocked_for(self) -> float | None:
        """Seconds the client stays blocked (it reached the invalid-request limit in this window), or None."""
        now = self.clock()
        if self._invalid.current(now, self.invalid_rule) < self.invalid_rule.limit:
            return None
        return self._invalid.reset_after(now, self.invalid_rule)

    def as_json(self) -> dict[str, Any]:
        """Counts and windows for the control API."""
        now = self.clock()
        invalid = self._invalid.as_json(now, self.invalid_rule)
        buckets = []
        for (bucket, major), (started, count) in self._windows.items():
            rule = self.rules.get(bucket) or self.rules[DEFAULT_BUCKET]
            if 0 <= now - started < rule.per_seconds:
                reset_after = round(rule.per_seconds - (now - started), 3)
                buckets.append(
                    {
                        "bucket": bucket,
                        "major": major,
                        "count": count,
                        "limit": rule.limit,
                        "reset_after": reset_after,
                    }
                )
        return {
            "global": self._global.as_json(now, self.global_rule),
            "invalid_requests": {**invalid, "blocked_for": self.blocked_for()},
            "buckets": buckets,
        }

    def reset(self) -> None:
        """Forget all windows (the limits stay as set)."""
        self._windows.clear()
        self._global = Window()
        self._invalid = Window()
