"""Settings are read from the environment in one place, with safe defaults."""

import pytest

from webapp import config, create_app
from webapp.config import ConfigError


def test_safe_local_defaults():
    settings = config.load({})
    assert settings["APP_ENV"] == "development"
    assert settings["PRODUCTION"] is False
    assert len(settings["SECRET_KEY"]) == 64  # generated once into instance/secret_key
    assert settings["DATABASE_URL"].startswith("sqlite:///") and settings["DATABASE_URL"].endswith("instance/foi.sqlite3")
    assert settings["ORGANISATION_NAME"] == "Example Police Service"
    assert settings["SECRET_KEY_FALLBACKS"] == []
    assert settings["MAX_CONTENT_LENGTH"] == 65536
    assert settings["PROXY_FIX"] == 0


@pytest.mark.parametrize("variable", ["APP_ENV", "FLASK_ENV"])
def test_production_refuses_to_start_without_secret_key(variable):
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        config.load({variable: "production"})


def test_production_refuses_a_short_secret_key():
    with pytest.raises(ConfigError, match="at least 32"):
        config.load({"APP_ENV": "production", "SECRET_KEY": "short"})


def test_create_app_refuses_to_start_in_production_without_key(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()


def test_production_settings():
    settings = config.load({
        "APP_ENV": "production", "SECRET_KEY": "k" * 40, "SITE_URL": "https://foi.example.org",
        "SECRET_KEY_FALLBACKS": "old-key-1, old-key-2,", "FLASK_DEBUG": "1",
    })
    assert settings["SECRET_KEY_FALLBACKS"] == ["old-key-1", "old-key-2"]
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["DEBUG"] is False  # never debug in production


def test_environment_overrides():
    settings = config.load({
        "ORGANISATION_NAME": "Northshire Constabulary", "SERVICE_NAME": "FOI log",
        "CONTACT_URL": "https://example.org/contact", "DATABASE_URL": "postgresql://u@h/db",
        "PROXY_FIX": "1", "MAX_CONTENT_LENGTH": "100000", "PAGE_CACHE_ENTRIES": "0",
    })
    assert settings["ORGANISATION_NAME"] == "Northshire Constabulary"
    assert settings["DATABASE_URL"] == "postgresql://u@h/db"
    assert settings["PROXY_FIX"] == 1
    assert settings["MAX_CONTENT_LENGTH"] == 100000
    assert settings["PAGE_CACHE_ENTRIES"] == 0


@pytest.mark.parametrize("variable,value", [("PROXY_FIX", "two"), ("MAX_CONTENT_LENGTH", "10"), ("PROXY_FIX", "-1"), ("FLASK_DEBUG", "maybe")])
def test_invalid_values_are_refused_with_the_name(variable, value):
    with pytest.raises(ConfigError, match=variable):
        config.load({variable: value})


def test_code_reads_the_environment_only_in_config():
    from pathlib import Path

    package = Path(config.__file__).parent
    offenders = [
        str(path.relative_to(package)) for path in package.rglob("*.py")
        if path.name != "config.py" and "os.environ" in path.read_text()
    ]
    assert offenders == []
