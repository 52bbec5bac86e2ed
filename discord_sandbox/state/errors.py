"""Errors in Discord's shape (REST) and in the control API's shape; the routers render them."""

from __future__ import annotations

from typing import Any

UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_ROLE = 10011
UNKNOWN_USER = 10013
UNKNOWN_INTERACTION = 10062
UNKNOWN_WEBHOOK = 10015
UNKNOWN_APPLICATION_COMMAND = 10063
MISSING_ACCESS = 50001
CANNOT_EDIT_OTHERS_MESSAGE = 50005
CANNOT_SEND_EMPTY_MESSAGE = 50006
CANNOT_DM_USER = 50007
CANNOT_SEND_IN_NON_TEXT_CHANNEL = 50008
MISSING_PERMISSIONS = 50013
INVALID_WEBHOOK_TOKEN = 50027
INVALID_FORM_BODY = 50035
NO_MUTUAL_GUILDS = 50278
ALREADY_ACKNOWLEDGED = 40060


class DiscordError(Exception):
    """A REST error answered as `{"code", "message", "errors"?}`."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """The JSON body Discord would send."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


def form_error(field: str, code: str, message: str) -> DiscordError:
    """400 Invalid Form Body with one error on one field."""
    return DiscordError(
        400,
        INVALID_FORM_BODY,
        "Invalid Form Body",
        {field: {"_errors": [{"code": code, "message": message}]}},
    )


def not_found(code: int, what: str) -> DiscordError:
    """A 404 such as `Unknown Channel`."""
    return DiscordError(404, code, f"Unknown {what}")


def missing_permissions() -> DiscordError:
    """403 Missing Permissions: the bot sees the channel but lacks a permission the request needs."""
    return DiscordError(403, MISSING_PERMISSIONS, "Missing Permissions")


def missing_access() -> DiscordError:
    """403 Missing Access: the bot cannot see the guild or channel at all."""
    return DiscordError(403, MISSING_ACCESS, "Missing Access")


class ControlError(Exception):
    """A control API error answered as `{"error": code, ...}`."""

    def __init__(self, status: int, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.extra = extra
