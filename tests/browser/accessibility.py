"""The accessibility check of the browser tests: axe-core, shipped with its licence in
``tests/browser/axe/`` (npm package axe-core 4.10.3, MPL-2.0; never fetched at run time),
run in the page on the WCAG 2.0/2.1 A and AA rules."""

from __future__ import annotations

import json
from pathlib import Path

AXE_SCRIPT = Path(__file__).parent / "axe" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[dict]:
    """The violations axe-core finds on the page as it stands (rules of ``WCAG_AA``)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol: the page's Content Security
        # Policy (script-src 'self') rightly refuses an injected script element.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;true")
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {
                runOnly: {type: 'tag', values: tags},
                resultTypes: ['violations'],  // passes are not detailed: faster
            });
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
            }));
        }""",
        WCAG_AA,
    )


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, json.dumps(violations, indent=1, ensure_ascii=False)
