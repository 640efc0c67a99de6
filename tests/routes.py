"""Every page of the site, found from the URL map, so a new page is checked without
anyone remembering to add it to a list."""

from __future__ import annotations

from flask import Flask

# Routes that are not pages a person reads; each says why it is left out.
EXCLUDED = {
    "/healthz": "a JSON health probe for load balancers, not a page",
    "/leave": "the quick exit: a 303 to another site (tests/browser/test_quick_exit.py covers it)",
    "/foi.atom": "an Atom feed (XML), not an HTML page; tests/test_foi_feeds.py parses it",
    "/foi.json": "JSON open data, not an HTML page; tests/test_foi_feeds.py parses it",
    "/foi.csv": "a CSV download, not an HTML page; tests/test_foi_feeds.py parses it",
    "/robots.txt": "plain text for crawlers, not a page (tests/test_statement_and_privacy.py checks it)",
}


def page_paths(app: Flask) -> list[str]:
    """GET routes without URL parameters, minus the documented exclusions."""
    paths = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.arguments or rule.rule.startswith("/_test/"):
            continue
        if rule.rule in EXCLUDED:
            continue
        paths.add(rule.rule)
    return sorted(paths)
