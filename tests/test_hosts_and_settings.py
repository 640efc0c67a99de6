"""The Host header is never trusted: SITE_URL is the only source of absolute links, other
hosts get the 400 page in production, and redirects are relative. Settings are checked
at start-up and every error names the setting and the form it takes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from xml.etree import ElementTree as ET

import pytest

from tests.conftest import TEST_SECRET, make_app
from tests.foi_fixtures import SHIPPED_REFERENCE, load_shipped
from webapp import config
from webapp.config import ConfigError

SITE = "https://foi.example.org"
HOSTILE_HOSTS = ["evil.example", "evil.example:443", "foi.example.org.evil.example", "127.0.0.1:1", "[::1]"]


@pytest.fixture
def site(tmp_path):
    app = make_app(tmp_path, SITE_URL=SITE)
    load_shipped(app)
    return app


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_feeds_link_to_site_url_whatever_the_host(site, host):
    client = site.test_client()
    atom = ET.fromstring(client.get("/foi.atom", headers={"Host": host}).data)
    hrefs = [link.get("href") for link in atom.iter("{http://www.w3.org/2005/Atom}link")]
    ids = [element.text for element in atom.iter("{http://www.w3.org/2005/Atom}id")]
    assert hrefs and ids and all(value.startswith(SITE + "/") for value in hrefs + ids)

    data = json.loads(client.get("/foi.json", headers={"Host": host}).data)
    urls = [data["links"]["self"], data["links"]["html"], *(r["url"] for r in data["results"])]
    assert all(url.startswith(SITE + "/") for url in urls)

    record = json.loads(client.get(f"/foi/{SHIPPED_REFERENCE}.json", headers={"Host": host}).data)
    assert record["url"] == f"{SITE}/foi/{SHIPPED_REFERENCE}"
    assert all(a["url"].startswith(f"{SITE}/foi/{SHIPPED_REFERENCE}/") for a in record["attachments"])

    rows = client.get("/foi.csv", headers={"Host": host}).get_data(as_text=True).splitlines()
    assert all(row.rsplit(",", 1)[1].startswith(SITE + "/") for row in rows[1:])


@pytest.mark.parametrize("host", HOSTILE_HOSTS + ["localhost"])
@pytest.mark.parametrize("path", ["/foi//x", "//foi//x", f"/foi/{SHIPPED_REFERENCE.lower()}", "//evil.example/foi//x", "/?junk=1",
                                  "/foi/%2F/x", "/foi?q=a&junk=1"])
def test_redirects_are_relative(site, host, path):
    response = site.test_client().get(path, headers={"Host": host})
    if 300 <= response.status_code < 400:
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//"), location


@pytest.fixture
def production(tmp_path, monkeypatch):
    for name, value in {"APP_ENV": "production", "SECRET_KEY": TEST_SECRET, "SITE_URL": SITE,
                        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}"}.items():
        monkeypatch.setenv(name, value)
    app = make_app(tmp_path, TESTING=True)
    return app


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
@pytest.mark.parametrize("path", ["/", "/foi", "/foi.atom", "/no-such-page", "/feedback"])
def test_production_answers_another_host_with_the_400_page(production, host, path, get_page):
    page = get_page(path, headers={"Host": host}, status=400, client=production.test_client())
    response = page.response
    assert response.status_code == 400
    assert page.select_one("h1").get_text(strip=True) == "Sorry, there is a problem with your request"
    # The whole page, not the bare last-resort one: its links are built whatever the Host.
    assert [a["href"] for a in page.select(".app-quick-exit-first a, .govuk-footer a[href^='/']")][:2] == [
        "/leave", "/accessibility-statement",
    ]


def test_production_serves_its_own_host(production):
    client = production.test_client()
    assert client.get("/", headers={"Host": "foi.example.org"}).status_code == 200
    assert client.get("/", headers={"Host": "foi.example.org:443"}).status_code == 200


# --- settings -------------------------------------------------------------------------

def test_site_url_defaults_in_development_and_is_required_in_production():
    assert config.load({})["SITE_URL"] == config.DEVELOPMENT_SITE_URL
    with pytest.raises(ConfigError, match="SITE_URL must be set"):
        config.load({"APP_ENV": "production", "SECRET_KEY": "k" * 40})
    settings = config.load({"APP_ENV": "production", "SECRET_KEY": "k" * 40, "SITE_URL": "https://foi.example.org/"})
    assert settings["SITE_URL"] == "https://foi.example.org"
    assert settings["TRUSTED_HOSTS"] == ["foi.example.org"]


@pytest.mark.parametrize("variable, value, form", [
    ("APP_ENV", "prodution", "one of development"),
    ("APP_ENV", "Production ", None),
    ("FLASK_ENV", "staging", "one of development"),
    ("SITE_URL", "foi.example.org", "an address such as https://"),
    ("SITE_URL", "javascript:alert(1)", "an address such as https://"),
    ("SITE_URL", "https://foi.example.org/path", "an address such as https://"),
    ("SITE_URL", "https://foi.example.org:99999", "an address such as https://"),
    ("SITE_URL", "https://user@foi.example.org", "an address such as https://"),
    ("DATABASE_URL", "postgressql://u@h/db", "sqlite:///PATH or postgresql://"),
    ("DATABASE_URL", "not a url", "sqlite:///PATH or postgresql://"),
    ("DATABASE_URL", "sqlite://", "sqlite:///PATH or postgresql://"),
    ("DATABASE_URL", "postgresql://", "sqlite:///PATH or postgresql://"),
    ("DATABASE_URL", "mysql://u@h/db", "sqlite:///PATH or postgresql://"),
    ("PAGE_CACHE_BYTES", "lots", "whole number"),
    ("PAGE_CACHE_BYTES", "-1", "at least 0"),
    ("LOG_LEVEL", "verbose", "one of DEBUG"),
    ("RATELIMIT_STORAGE_URI", "redis:/localhost", "an address such as memory://"),
    ("RATELIMIT_STORAGE_URI", "foo://x", "an address such as memory://"),
])
def test_every_setting_error_names_the_setting_and_its_form(variable, value, form):
    if form is None:  # accepted: case and spaces do not matter
        assert config.load({variable: value, "SECRET_KEY": "k" * 40, "SITE_URL": SITE})["PRODUCTION"]
        return
    with pytest.raises(ConfigError) as raised:
        config.load({variable: value})
    message = str(raised.value)
    assert message.startswith(f"{variable} must ") and form in message


def test_a_bad_database_url_does_not_leak_its_password():
    with pytest.raises(ConfigError) as raised:
        config.load({"DATABASE_URL": "postgressql://user:hunter2@h/db"})
    assert "hunter2" not in str(raised.value)


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "flask", "--app", "webapp:create_app", "routes"],
    [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--workers", "1", "--bind", "127.0.0.1:0",
     "webapp:create_app()"],
    [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--preload", "--bind", "127.0.0.1:0",
     "webapp:create_app()"],
])
def test_flask_and_gunicorn_print_one_clear_line_without_a_traceback(command, tmp_path):
    env = {**os.environ, "APP_ENV": "prodution", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=config.PROJECT_ROOT)
    output = finished.stdout + finished.stderr
    assert finished.returncode != 0
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if "APP_ENV must be one of" in line]
    assert len(lines) == 1, output
