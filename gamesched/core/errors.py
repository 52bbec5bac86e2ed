"""Errors people see, defined once and translated at each edge (HTTP status, Discord ephemeral reply): the
domain errors, and the database being out of reach."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a user may see; ``message`` is a sentence meant for people."""

    code = "error"
    status_code = 400

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.extra = extra


class NotFound(DomainError):
    code = "not_found"
    status_code = 404


class Forbidden(DomainError):
    code = "forbidden"
    status_code = 403


class Conflict(DomainError):
    code = "conflict"
    status_code = 409


class Invalid(DomainError):
    """Input that cannot be accepted; ``field`` names the offending field when there is one."""

    code = "invalid"
    status_code = 422

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None, **extra: Any):
        super().__init__(message, code=code, **extra)
        self.field = field


class Unauthorized(DomainError):
    code = "unauthorized"
    status_code = 401


class DatabaseUnavailable(Exception):
    """PostgreSQL cannot be reached (down, restarting, refusing connections) or the connection broke: no bug,
    nothing the user did; the edges say so (HTTP 503 with Retry-After, an ephemeral "try again") and log a
    warning without a traceback. Deliberately not a DomainError, so no handler of those swallows it."""

    message = "gamesched can't reach its database right now; try again in a moment."

    def __init__(self) -> None:
        super().__init__(self.message)
