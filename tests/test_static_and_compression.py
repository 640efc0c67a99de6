"""Fingerprinted static files served by the app, cached for a year, compressed; HTML compressed."""

import gzip

import brotli
import pytest

from tests.conftest import soup


def asset_urls(client):
    page = soup(client.get("/"))
    return {
        "css": page.select_one("link[rel=stylesheet]")["href"],
        "js": page.select_one("script[src]")["src"],
        "icon": page.select_one("link[rel~=icon]")["href"],
    }


def test_asset_names_are_content_hashed(client):
    for url in asset_urls(client).values():
        assert url.startswith("/static/dist/")
        name = url.rsplit("/", 1)[1]
        stem, digest, ext = name.split(".")
        assert len(digest) == 12 and int(digest, 16) >= 0


@pytest.mark.parametrize("kind", ["css", "js", "icon"])
def test_static_files_cached_for_a_year(client, kind):
    response = client.get(asset_urls(client)[kind])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("encoding,decompress", [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_static_files_compressed(client, encoding, decompress):
    url = asset_urls(client)["css"]
    plain = client.get(url).data
    response = client.get(url, headers={"Accept-Encoding": encoding})
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert len(response.data) < len(plain) / 4
    assert decompress(response.data) == plain


@pytest.mark.parametrize("encoding,decompress", [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_html_compressed(client, encoding, decompress):
    plain = client.get("/").data
    response = client.get("/", headers={"Accept-Encoding": encoding})
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert decompress(response.data) == plain


def test_html_uncompressed_when_not_accepted(client):
    response = client.get("/")
    assert "Content-Encoding" not in response.headers
    assert soup(response).select_one("h1") is not None


def test_unknown_static_file_is_404_page(client):
    response = client.get("/static/dist/nothing.123456789abc.css")
    assert response.status_code == 404
    assert soup(response).select_one("h1").get_text() == "Page not found"


def test_css_includes_only_used_components_and_no_gov_uk_images(client):
    css = client.get(asset_urls(client)["css"]).get_data(as_text=True)
    assert ".govuk-generic-header" in css and ".govuk-phase-banner" in css
    assert ".govuk-accordion" not in css and ".govuk-tabs" not in css
    assert "/assets/" not in css  # the precompiled GOV.UK paths
