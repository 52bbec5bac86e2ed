"""What the modules use to speak in Discord: one way to answer interactions and to word times.

No module state and no client: the Discord adapter (``gamesched.discord``) owns the connection.
"""

from gamesched.discord_kit.markup import MARKUP, format_when, mentioned_ids, readable
from gamesched.discord_kit.replies import (
    EXPIRED_FORM,
    SOMETHING_WENT_WRONG,
    STALE_COMPONENT,
    Answer,
    install_error_handler,
    reply,
    report_error,
    respond,
)

__all__ = [
    "EXPIRED_FORM",
    "MARKUP",
    "SOMETHING_WENT_WRONG",
    "STALE_COMPONENT",
    "Answer",
    "format_when",
    "install_error_handler",
    "mentioned_ids",
    "readable",
    "reply",
    "report_error",
    "respond",
]
