"""Fingerprinted static files: ``asset_url('main.css')`` in templates.

``npm run build`` writes ``static/dist/manifest.json`` mapping each logical name to
its content-hashed file. The manifest is read once at start-up; a missing build is a
start-up error with the command to fix it, not a page full of broken links.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask, current_app

from webapp.config import PROJECT_ROOT

DIST_DIR = PROJECT_ROOT / "static" / "dist"
STATIC_URL = "/static/dist/"


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


def init_app(app: Flask) -> None:
    manifest = AssetManifest()
    app.extensions["assets"] = manifest


def asset_url(name: str) -> str:
    """The fingerprinted address of a built asset (a template global)."""
    return current_app.extensions["assets"].url(name)
