"""Discord message markup the modules share, so every DM, reply and embed words a time the same way."""

from __future__ import annotations

from datetime import datetime


def format_when(at: datetime) -> str:
    """Full date and time, then how far off it is, each shown in the reader's own time zone by Discord."""
    stamp = int(at.timestamp())
    return f"<t:{stamp}:F> (<t:{stamp}:R>)"
