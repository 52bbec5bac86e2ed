"""gamesched: self-hosted game session scheduling for Discord communities."""

__version__ = "0.1.0"
