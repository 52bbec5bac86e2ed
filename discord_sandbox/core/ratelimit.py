"""Per-route rate limit buckets with Discord's headers, in fixed windows."""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass


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


class RateLimiter:
    """Counts requests per (bucket, major parameter) in fixed windows."""

    def __init__(self, rules: dict[str, BucketRule] | None = None) -> None:
        self.rules = rules or RATE_LIMITS
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    def hit(self, bucket: str, major: str) -> Verdict:
        """Count one request; the verdict says whether it may proceed."""
        rule = self.rules.get(bucket) or self.rules[DEFAULT_BUCKET]
        now = time.monotonic()
        started, count = self._windows.get((bucket, major), (now, 0))
        if now - started >= rule.per_seconds:
            started, count = now, 0
        reset_after = max(0.0, rule.per_seconds - (now - started))
        bucket_hash = hashlib.sha1(bucket.encode()).hexdigest()[:16]
        if count >= rule.limit:
            return Verdict(False, rule.limit, 0, reset_after, bucket_hash)
        self._windows[(bucket, major)] = (started, count + 1)
        return Verdict(True, rule.limit, rule.limit - count - 1, reset_after, bucket_hash)

    def reset(self) -> None:
        """Forget all windows."""
        self._windows.clear()
