"""Dashboard pages of the games module: my games, a server's games, a game (live), create, edit, cancel.

Thin like the JSON API: read the form, call one GameService method, render the GameView. Forms re-render
with inline errors (422) and redirect after a successful POST (303), so reloads never resubmit.
"""

from typing import Any

from gamesched.games.pages import create, edit, game, lists, series

game_pages: list[Any] = [*lists.routes, *create.routes, *game.routes, *edit.routes, *series.routes]

__all__ = ["game_pages"]
