"""axe-core, from npm, checks any page state in one line: ``assert_accessible(page)``."""

from __future__ import annotations

import re
from functools import lru_cache

from webapp.config import PROJECT_ROOT

AXE_PATH = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCRIPT_ELEMENT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@lru_cache(maxsize=1)
def axe_source() -> str:
    return AXE_PATH.read_text("utf-8")


def run_axe(page, selector: str | None = None) -> list[dict]:
    # Never a page still arriving (a click that navigates returns before it has loaded).
    page.wait_for_load_state("load")
    if getattr(page, "javascript_disabled", False):
        return _run_axe_on_snapshot(page, selector)
    return _run_axe(page, selector)


def _run_axe_on_snapshot(page, selector: str | None) -> list[dict]:
    """axe needs a running event loop, which a JavaScript-off page does not have. Take
    the page's DOM exactly as a visitor without JavaScript has it, scripts removed so
    nothing can change it, and check that in a second page at the same address and
    viewport (its styles still come from the live server)."""
    html = SCRIPT_ELEMENT.sub("", page.content())
    context = page.context.browser.new_context(viewport=page.viewport_size)
    try:
        checker = context.new_page()
        checker.route(page.url, lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=html,
        ))
        checker.goto(page.url)
        return _run_axe(checker, selector)
    finally:
        context.close()


def _run_axe(page, selector: str | None) -> list[dict]:
    # Evaluated through the DevTools protocol, which the page's CSP does not govern:
    # the page under test keeps its real policy.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        """async ([selector, tags]) => axe.run(selector ? document.querySelector(selector) : document, {
            runOnly: { type: 'tag', values: tags },
            resultTypes: ['violations'],
        })""",
        [selector, TAGS],
    )
    return result["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['failureSummary']}")
    return "\n".join(lines)


def assert_accessible(page, selector: str | None = None, state: str = "") -> None:
    """Zero axe-core violations for WCAG 2.2 AA and best practice in the page's current state."""
    violations = run_axe(page, selector)
    assert violations == [], f"axe-core violations on {page.url} {state}:\n{describe(violations)}"
