"""Module boundaries (STYLE.md): core imports no module; modules meet only through __init__ and events."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "gamesched"
DOMAIN_MODULES = {"games", "guilds", "notifications", "auth"}
ALLOWED_SUBMODULES = {"events"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return [name for name in names if name.startswith("gamesched")]


def test_core_imports_no_domain_module_or_adapter() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in (PACKAGE / "core").rglob("*.py")
        for name in _imports(path)
        if not name.startswith("gamesched.core")
    ]
    assert offenders == []


def test_modules_use_each_other_only_through_init_and_events() -> None:
    offenders = []
    for module in DOMAIN_MODULES:
        folder = PACKAGE / module
        for path in folder.rglob("*.py") if folder.exists() else []:
            for name in _imports(path):
                parts = name.split(".")
                if len(parts) < 2 or parts[1] not in DOMAIN_MODULES or parts[1] == module:
                    continue
                if len(parts) > 2 and parts[2] not in ALLOWED_SUBMODULES:
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_the_rule_detects_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from gamesched.games.service import GameService\nimport gamesched.core.db\n")
    assert _imports(sample) == ["gamesched.games.service", "gamesched.core.db"]
