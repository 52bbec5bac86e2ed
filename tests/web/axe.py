"""axe-core (npm, installed by scripts/bootstrap.sh into tests/axe/) run inside a Playwright page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parents[1] / "axe" / "node_modules" / "axe-core" / "axe.min.js"
#: What fails a page: axe's two highest impacts.
BLOCKING = ("serious", "critical")


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now (WCAG 2.x A/AA rules and axe's best practices)."""
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `make bootstrap` (it installs axe-core with npm)")
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        # Added as a script element from the test, which the page's CSP does not govern for evaluate().
        await page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result: dict[str, Any] = await page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation and node: rule, impact, where, and axe's own summary."""
    lines = []
    for v in violations:
        for node in v["nodes"]:
            lines.append(f"{v['id']} ({v['impact']}): {node['target']} — {node.get('failureSummary', '')!r}")
    return "\n".join(lines)
