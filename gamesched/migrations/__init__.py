"""Alembic migrations (env.py, versions/): shipped in the package, run by `gamesched migrate` and at start."""
