"""Who is asking: the logged-in person every API route and page receives as the ``viewer`` dependency.

The auth module makes them (from the session cookie); the type lives here so that any module's routes
can name it without depending on auth.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Viewer:
    """The logged-in person, as Discord named them at login (or at the last token refresh)."""

    user_id: int
    username: str
    global_name: str | None
    avatar_url: str | None

    @property
    def display_name(self) -> str:
        return self.global_name or self.username
