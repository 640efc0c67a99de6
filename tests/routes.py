"""Every route of the site, from the URL map: the pages the quality gates check (found
without anyone remembering to add them to a list), and the public routes committed in
``tests/public_routes.txt``.

Regenerate that list after adding a route: ``python -m tests.routes --write``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from flask import Flask

PUBLIC_ROUTES_FILE = Path(__file__).with_name("public_routes.txt")
WRITE_COMMAND = "python -m tests.routes --write"
# Methods every GET route answers by itself; listing them would say nothing.
IMPLIED_METHODS = {"HEAD", "OPTIONS"}

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


def public_routes(app: Flask) -> list[str]:
    """One line per rule of the URL map, ``METHODS /rule``, test-only routes left out."""
    lines = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/_test/"):
            continue
        methods = ",".join(sorted(set(rule.methods or ()) - IMPLIED_METHODS))
        lines.add(f"{methods} {rule.rule}")
    return sorted(lines, key=lambda line: (line.split(" ", 1)[1], line))


def listed_routes(path: Path = PUBLIC_ROUTES_FILE) -> list[str]:
    """The committed list: its lines without comments or blanks."""
    lines = path.read_text("utf-8").splitlines() if path.exists() else []
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


HEADER = f"""\
# Every public route of the site: one line per rule of the URL map, "METHODS /rule".
# These are addresses people and other sites rely on; FOI permalinks (/foi/<reference>)
# are promises. tests/test_routes.py fails when a listed route disappears or a new one
# is not listed yet. Regenerate after adding a route: {WRITE_COMMAND}
"""


def write_public_routes(app: Flask, path: Path = PUBLIC_ROUTES_FILE) -> None:
    path.write_text(HEADER + "\n".join(public_routes(app)) + "\n", "utf-8")


def main(argv: list[str]) -> int:
    from webapp import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    if argv == ["--write"]:
        write_public_routes(app)
        print(f"wrote {len(public_routes(app))} routes to {PUBLIC_ROUTES_FILE.name}")
        return 0
    if argv:
        print(f"usage: {WRITE_COMMAND}  (without --write: print the routes)", file=sys.stderr)
        return 2
    print("\n".join(public_routes(app)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
