"""The links every page carries: the service navigation and the footer's support links.

Each capability adds its own links from its ``init_app`` (``add_navigation``,
``add_footer_link``); the layout gets them through :func:`layout_context`. A link names
its target by endpoint, turned into an address by ``url_for`` when the page is rendered,
or by a function giving the address (a setting such as ``CONTACT_URL``). Texts are
marked for translation (``lazy_gettext``) and read in the request's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Flask, current_app, request, url_for

Target = str | Callable[[], str]


@dataclass(frozen=True)
class Link:
    target: Target  # an endpoint, or a function giving the address
    text: object  # a lazy_gettext string
    order: int = 0
    # A section (e.g. the disclosure log) is active on its own page and every page under it.
    section: bool = False

    def href(self) -> str:
        return self.target() if callable(self.target) else url_for(self.target)


@dataclass
class Links:
    navigation: list[Link]
    footer: list[Link]


def links(app: Flask) -> Links:
    return app.extensions["navigation"]


def _keep_in_order(entries: list[Link], link: Link) -> None:
    entries.append(link)
    entries.sort(key=lambda entry: entry.order)  # stable: equal orders keep their sequence


def add_navigation(app: Flask, target: Target, text, *, order: int = 0, section: bool = False) -> None:
    """A link in the service navigation, after the others of the same ``order``."""
    _keep_in_order(links(app).navigation, Link(target, text, order, section))


def add_footer_link(app: Flask, target: Target, text, *, order: int = 0) -> None:
    """A support link in the footer, after the others of the same ``order``."""
    _keep_in_order(links(app).footer, Link(target, text, order))


def navigation_item(link: Link, here: str) -> dict:
    """An item for ``govukServiceNavigation``: ``current`` on the page itself (for a
    section, ``active`` on its page and the pages under it)."""
    href = link.href()
    if link.section:
        return {"href": href, "text": str(link.text), "active": here == href or here.startswith(href + "/")}
    return {"href": href, "text": str(link.text), "current": here == href}


def layout_context() -> dict:
    """What the one layout needs on every page: the links and the path (for the feedback link)."""
    registry = links(current_app)
    here = request.script_root + request.path
    return {
        "current_path": request.path,
        "navigation": [navigation_item(link, here) for link in registry.navigation],
        "footer_links": [{"href": link.href(), "text": str(link.text)} for link in registry.footer],
    }


def init_app(app: Flask) -> None:
    app.extensions["navigation"] = Links(navigation=[], footer=[])
    app.context_processor(layout_context)
