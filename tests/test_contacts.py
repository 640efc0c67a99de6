"""The organisation's name and contacts come from its settings on every page: no
template writes an address of its own, and none of the example defaults survives a
site configured with its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import make_app
from tests.foi_fixtures import SHIPPED_REFERENCE, load_shipped
from tests.routes import page_paths
from webapp import config

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
OWN = {
    "ORGANISATION_NAME": "Northshire Constabulary",
    "CONTACT_EMAIL": "disclosure@northshire.example",
    "CONTACT_URL": "https://northshire.example/contact-us",
    "CONTACT_PHONE": "0300 123 4567",
    "DPO_EMAIL": "privacy@northshire.example",
}
# Pages whose text is the site's own (a response's authored text may name any address).
RESPONSES = [f"/foi/{SHIPPED_REFERENCE}", "/foi/NMC-2024-0117"]


def test_no_template_writes_an_email_address():
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}: {match}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        for match in EMAIL.findall(line)
    ]
    assert found == [], "take contact addresses from the settings (app.config):\n" + "\n".join(found)


@pytest.fixture
def own_site(tmp_path, monkeypatch):
    """A site configured as an operator would: through the environment, so what
    config.load derives from these (the data controller's name) follows them too."""
    for name, value in OWN.items():
        monkeypatch.setenv(name, value)
    app = make_app(tmp_path)
    load_shipped(app)
    return app


def example_defaults() -> dict[str, str]:
    defaults = config.load({"APP_ENV": "development"})
    return {name: defaults[name] for name in OWN}


def test_the_example_defaults_are_what_this_test_looks_for():
    assert all(example_defaults()[name] != value for name, value in OWN.items())


def test_no_example_contact_survives_a_configured_site(own_site):
    client = own_site.test_client()
    examples = example_defaults()
    shown = {}
    for path in [*page_paths(own_site), *RESPONSES, "/no-such-page"]:
        body = client.get(path).get_data(as_text=True)
        left = sorted(name for name, value in examples.items() if value in body)
        if left:
            shown[path] = left
    assert shown == {}, f"pages still showing the example settings: {shown}"
    # ...and the site's own are there, so the pages were really read.
    assert OWN["CONTACT_EMAIL"] in client.get("/foi/NMC-2024-0117").get_data(as_text=True)
