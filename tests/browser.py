"""Debian's Chromium for browser tests (never a downloaded browser), and where screenshots go."""

from __future__ import annotations

import os
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
#: GAMESCHED_CHROMIUM overrides the path (the bootstrap skips the apt install when it is set).
CHROMIUM = os.environ.get("GAMESCHED_CHROMIUM", "/usr/bin/chromium")
#: Headless, and quiet: this machine's network is closed, so no background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
