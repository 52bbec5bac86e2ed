from tests.games.conftest import games_app, login, world

__all__ = ["games_app", "login", "world"]
