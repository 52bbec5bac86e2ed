"""GameService: the games use cases, one facade for the web API and the bot.

The use cases live by theme — lifecycle.py (create, edit, cancel), signups.py (join, leave and the host's
roster tools), queries.py (get, list) — on the shared plumbing in base.py.
"""

from __future__ import annotations

from gamesched.games.bot_queries import GameBotQueries
from gamesched.games.lifecycle import GameLifecycle
from gamesched.games.queries import GameQueries
from gamesched.games.signups import GameSignups


class GameService(GameLifecycle, GameSignups, GameQueries, GameBotQueries):
    """``GameService(db=..., guilds=..., clock=...)``; every method checks guild membership first."""
