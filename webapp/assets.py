"""Fingerprinted static files: ``asset_url('main.css')`` in templates, served by WhiteNoise.

``npm run build`` writes ``static/dist/manifest.json`` mapping each logical name to
its content-hashed file. The manifest is read once at start-up; a missing build is a
start-up error with the command to fix it, not a page full of broken links.

The files are served by WhiteNoise, wrapped around the app's WSGI callable (outside the
page cache: a static file never reaches Flask). Content-hashed names never change, so
they are cached for a year; anything else (the manifest) is revalidated.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Flask, current_app
from whitenoise import WhiteNoise

from webapp.config import PROJECT_ROOT

DIST_DIR = PROJECT_ROOT / "static" / "dist"
STATIC_URL = "/static/dist/"
STATIC_CACHE_CONTROL = "public, max-age=31536000, immutable"
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")


class AssetManifest:
    def __init__(self, dist_dir: Path = DIST_DIR):
        manifest_path = dist_dir / "manifest.json"
        try:
            self.files: dict[str, str] = json.loads(manifest_path.read_text("utf-8"))
        except FileNotFoundError:
            raise RuntimeError(
                f"{manifest_path} is missing: build the assets with `npm ci && npm run build` (or `make assets`)"
            ) from None

    def url(self, name: str) -> str:
        try:
            return STATIC_URL + self.files[name]
        except KeyError:
            raise KeyError(f"asset {name!r} is not in static/dist/manifest.json; add it to static/build.mjs") from None


def is_hashed(_path: str, url: str) -> bool:
    return bool(HASHED_NAME.search(url))


def static_headers(headers, path: str, url: str) -> None:
    headers["Cache-Control"] = STATIC_CACHE_CONTROL if is_hashed(path, url) else "no-cache"


def init_app(app: Flask) -> None:
    """``asset_url`` for templates, and the files themselves around the app's WSGI callable."""
    manifest = AssetManifest()
    app.extensions["assets"] = manifest
    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(DIST_DIR),
        prefix=STATIC_URL,
        immutable_file_test=is_hashed,
        add_headers_function=static_headers,
        autorefresh=app.config["DEBUG"],
    )


def asset_url(name: str) -> str:
    """The fingerprinted address of a built asset (a template global)."""
    return current_app.extensions["assets"].url(name)
