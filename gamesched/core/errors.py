"""Errors people see, defined once and translated at each edge (HTTP status, Discord ephemeral reply): the
domain errors, and the database being out of reach."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
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


class Problems:
    """Every problem of one submission, so that people hear about all of them at once, not one per try.

    ``with problems.check(): …`` keeps an Invalid raised inside; ``raise_any()`` raises one Invalid that
    says them all: its message joins their sentences, ``field`` names the first, ``errors`` lists each
    (``field``, ``message``), and the extras of each (an ``invalid_mentions`` list and its code) are kept.
    """

    def __init__(self) -> None:
        self.found: list[Invalid] = []

    @contextlib.contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except Invalid as error:
            self.found.append(error)

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_any(self) -> None:
        if not self.found:
            return
        errors: list[dict[str, Any]] = []
        extra: dict[str, Any] = {}
        code = None
        for error in self.found:
            errors += error.extra.get("errors") or [{"field": error.field, "message": error.message}]
            extra.update({k: v for k, v in error.extra.items() if k != "errors"})
            code = code if code not in (None, "invalid") else error.code
        if len(self.found) == 1:
            raise Invalid(self.found[0].message, field=self.found[0].field, code=code, errors=errors, **extra)
        message = " ".join(dict.fromkeys(e["message"] for e in errors))
        raise Invalid(message, field=errors[0]["field"], code=code, errors=errors, **extra)


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
