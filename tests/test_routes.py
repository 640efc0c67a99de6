"""The committed list of public routes (``tests/public_routes.txt``) and the sample
responses' permanent addresses: nothing people rely on disappears unnoticed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.foi_fixtures import SHIPPED_REFERENCE, load_shipped
from tests.routes import PUBLIC_ROUTES_FILE, WRITE_COMMAND, listed_routes, public_routes, write_public_routes
from tests.states import site_app
from webapp.extensions import db
from webapp.foi.models import FoiResponse

# The sample responses shipped in content/foi/, each at its permanent address.
SAMPLE_PERMALINKS = [
    "/foi/01.FOI.23.031828",
    "/foi/FOI-NMC-25-000981",
    "/foi/NMC-2024-0117",
    "/foi/NMC-2024-0342",
    "/foi/NMC-2024-0455",
    "/foi/NMC-2024-0518",
    "/foi/NMC-2024-0601",
    "/foi/NMC-2024-0733",
    "/foi/NMC-2024-0811",
    "/foi/NMC-2024-0902",
]


def vanished(listed: list[str], current: list[str]) -> list[str]:
    """A failure message for each listed route the app no longer has."""
    messages = []
    for line in sorted(set(listed) - set(current)):
        promise = " FOI permalinks are promises: people, search engines and other sites link to them." \
            if " /foi/" in line else ""
        messages.append(
            f"{line} is a published address and has disappeared from the URL map.{promise} Keep the route "
            f"(or answer it with a redirect); only if withdrawing it is deliberate, run {WRITE_COMMAND}."
        )
    return messages


def unlisted(listed: list[str], current: list[str]) -> list[str]:
    """A failure message for each route of the app the list does not have yet."""
    return [f"{line} is a new route not yet in tests/public_routes.txt: run {WRITE_COMMAND} and commit the file."
            for line in sorted(set(current) - set(listed))]


def test_no_listed_route_has_disappeared():
    problems = vanished(listed_routes(), public_routes(site_app()))
    assert problems == [], "\n".join(problems)


def test_every_route_is_listed():
    problems = unlisted(listed_routes(), public_routes(site_app()))
    assert problems == [], "\n".join(problems)


def test_the_list_is_exactly_what_the_command_writes(tmp_path):
    """The committed file is the command's output (same order, same header), so
    regenerating it shows only real changes in a diff."""
    written = tmp_path / "public_routes.txt"
    write_public_routes(site_app(), written)
    assert PUBLIC_ROUTES_FILE.read_text("utf-8") == written.read_text("utf-8"), f"run {WRITE_COMMAND}"


def test_the_list_holds_the_permanent_addresses():
    listed = listed_routes()
    assert {"GET /foi/<reference>", "GET /foi/<reference>/<filename>", "GET /foi", "GET /"} <= set(listed)
    assert not [line for line in listed if "/_test/" in line]
    assert all(line.split(" ", 1)[0] and line.split(" ", 1)[1].startswith("/") for line in listed)


def test_the_checks_name_what_changed():
    """Both checks can fail, and say what to do."""
    listed = ["GET /", "GET /foi/<reference>", "POST /feedback"]
    current = ["GET /", "GET /foi/<ref>", "POST /feedback", "GET /new-page"]
    gone = vanished(listed, current)
    assert len(gone) == 1
    assert gone[0].startswith("GET /foi/<reference> is a published address and has disappeared")
    assert "FOI permalinks are promises" in gone[0]
    assert [message.split(" is ")[0] for message in unlisted(listed, current)] == ["GET /foi/<ref>", "GET /new-page"]
    assert WRITE_COMMAND in unlisted(listed, current)[0]
    assert "promises" not in vanished(["POST /feedback"], [])[0]


@pytest.fixture
def shipped_app(app):
    load_shipped(app)
    return app


def test_every_sample_response_is_at_its_permanent_address(shipped_app, get_page):
    for path in SAMPLE_PERMALINKS:
        page = get_page(path)
        assert page.select_one("main h1").get_text(strip=True), path
    assert f"/foi/{SHIPPED_REFERENCE}" in SAMPLE_PERMALINKS


def test_every_shipped_response_has_its_permalink_listed(shipped_app):
    """A new sample response is a new promise: list its address above."""
    with shipped_app.app_context():
        references = db.session.scalars(select(FoiResponse.reference)).all()
    assert sorted(f"/foi/{reference}" for reference in references) == sorted(SAMPLE_PERMALINKS)
