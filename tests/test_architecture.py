"""Module boundaries are import-linter contracts (pyproject.toml); these tests show that they bite.

The package is copied to a temporary folder, one import that the design forbids is added to it, and
``lint-imports`` must then report a broken contract. Each case is an arrow a review once found in the code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
#: One xdist group: the module-scoped copy of the packages is made once, so the tests share a worker.
pytestmark = pytest.mark.xdist_group("architecture")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH first: the copy is found before the checkout's editable install.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("layout")
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    for package in ("gamesched", "discord_sandbox"):
        if (ROOT / package).is_dir():
            shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_contracts_hold_for_the_code_as_it_is(tree: Path) -> None:
    result = _lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and "0 broken" in result.stdout


BACK_ARROWS = {
    # file in the package: the import added to it
    "games imports notifications": (
        "gamesched/games/announcer.py",
        "from gamesched.notifications import Notifier",
    ),
    "a module imports the Discord adapter": ("gamesched/games/cog.py", "import gamesched.discord.client"),
    "the adapter reaches into a module's files": (
        "gamesched/discord/features.py",
        "import gamesched.games.cog",
    ),
    "a module reaches into another's files": (
        "gamesched/notifications/game_dms.py",
        "import gamesched.games.service",
    ),
    "the web toolkit imports a module": ("gamesched/web/dashboard.py", "import gamesched.games"),
    "the web toolkit imports auth": ("gamesched/web/render.py", "import gamesched.auth"),
    "guilds imports auth": ("gamesched/guilds/api.py", "import gamesched.auth"),
    "the Discord toolkit imports a module": ("gamesched/discord_kit/replies.py", "import gamesched.guilds"),
    "core imports a module": ("gamesched/core/modules.py", "import gamesched.games"),
    "a module imports the composition root": ("gamesched/guilds/service.py", "import gamesched.app"),
    "a migration imports a module": ("gamesched/migrations/env.py", "import gamesched.games"),
    "images imports games": ("gamesched/images/store.py", "import gamesched.games"),
    "games reaches into the images module's files": (
        "gamesched/games/images.py",
        "import gamesched.images.store",
    ),
}


@pytest.mark.parametrize("case", sorted(BACK_ARROWS))
def test_a_forbidden_import_breaks_a_contract(tree: Path, case: str) -> None:
    relative, statement = BACK_ARROWS[case]
    target = tree / relative
    original = target.read_text()
    target.write_text(f"{original}\n{statement}  # noqa\n")
    try:
        result = _lint_imports(tree)
    finally:
        target.write_text(original)
    assert result.returncode != 0, f"{case}: no contract broken\n{result.stdout}"
    assert "BROKEN" in result.stdout
