"""Injected failures: the next n REST calls answer 429 or 500, answers can be slow; Discord's rate limits can
be switched off."""

from __future__ import annotations

from dataclasses import dataclass

FAULT_RETRY_AFTER = 0.1


@dataclass
class Faults:
    """Fault settings shared by the REST middleware and the control API.

    `rate_limits` switches all of Discord's limits (benchmarks turn it off); while it is on,
    `global_rate_limit` and `invalid_request_ban` switch the global limit and Cloudflare's ban on their own.
    """

    rest_429: int = 0
    rest_500: int = 0
    rate_limits: bool = True
    global_rate_limit: bool = True
    invalid_request_ban: bool = True
    retry_after: float = FAULT_RETRY_AFTER
    #: Seconds every REST answer is held back after the call took effect (a slow network to Discord).
    answer_delay: float = 0.0

    @property
    def global_limit_on(self) -> bool:
        return self.rate_limits and self.global_rate_limit

    @property
    def ban_on(self) -> bool:
        return self.rate_limits and self.invalid_request_ban

    def switches(self) -> dict[str, bool]:
        """The rate limit switches (kept by a reset)."""
        return {
            "rate_limits": self.rate_limits,
            "global_rate_limit": self.global_rate_limit,
            "invalid_request_ban": self.invalid_request_ban,
        }

    def take_rest_fault(self) -> int | None:
        """Consume one pending fault and return its status, 429 before 500."""
        if self.rest_429 > 0:
            self.rest_429 -= 1
            return 429
        if self.rest_500 > 0:
            self.rest_500 -= 1
            return 500
        return None

    def as_json(self) -> dict[str, object]:
        """The settings as the control API shows them."""
        return {
            "rest_429": self.rest_429,
            "rest_500": self.rest_500,
            **self.switches(),
            "retry_after": self.retry_after,
            "answer_delay": self.answer_delay,
        }
