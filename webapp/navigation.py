"""The links every page carries: the service navigation and the footer's support links.

Each capability adds its own links from its ``init_app`` (``add_navigation``,
``add_footer_link``); the layout gets them through :func:`layout_context`. A link names
its target by endpoint, turned into an address by ``url_for`` when the page is rendered,
or by a function giving the address (a setting such as ``CONTACT_URL``). Texts are
marked for translation (``lazy_gettext``) and read in the request's language. Both are
worked out once per mount point and language, then reused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app, request, url_for

from webapp.i18n import current_locale

Target = str | Callable[[], str]


@dataclass(frozen=True)
class Link:
    target: Target  # an endpoint, or a function giving the address
    text: object  # a lazy_gettext string
    order: int = 0
    # A section (e.g. the disclosure log) is active on its own page and every page under it.
    section: bool = False

    def resolve(self) -> tuple[str, str, bool]:
        """(address, text, section) for the current request's mount point and language."""
        href = self.target() if callable(self.target) else url_for(self.target)
        return href, str(self.text), self.section


# Resolved links kept per app, mount point and language (few of each); a bound all the same.
MAX_RESOLVED = 32


@dataclass
class Links:
    navigation: list[Link] = field(default_factory=list)
    footer: list[Link] = field(default_factory=list)
    # (script root, locale) -> (navigation, footer) resolved: url_for and gettext cost
    # microseconds each, and every page draws all the links.
    resolved: dict = field(default_factory=dict)

    def add(self, entries: list[Link], link: Link) -> None:
        entries.append(link)
        entries.sort(key=lambda entry: entry.order)  # stable: equal orders keep their sequence
        self.resolved.clear()

    def resolved_for(self, script_root: str) -> tuple[list[tuple[str, str, bool]], list[dict]]:
        key = (script_root, current_locale())
        found = self.resolved.get(key)
        if found is None:
            if len(self.resolved) >= MAX_RESOLVED:
                self.resolved.clear()
            footer = [{"href": href, "text": text} for href, text, _ in map(Link.resolve, self.footer)]
            found = self.resolved[key] = ([link.resolve() for link in self.navigation], footer)
        return found


def links(app: Flask) -> Links:
    return app.extensions["navigation"]


def add_navigation(app: Flask, target: Target, text, *, order: int = 0, section: bool = False) -> None:
    """A link in the service navigation, after the others of the same ``order``."""
    registry = links(app)
    registry.add(registry.navigation, Link(target, text, order, section))
    forget_drawn_links(app)


def add_footer_link(app: Flask, target: Target, text, *, order: int = 0) -> None:
    """A support link in the footer, after the others of the same ``order``."""
    registry = links(app)
    registry.add(registry.footer, Link(target, text, order))
    forget_drawn_links(app)


def forget_drawn_links(app: Flask) -> None:
    """The layout keeps the navigation and footer it drew ({% cache %}): a new link
    means drawing them again."""
    app.jinja_env.forget_fragments()


def navigation_item(href: str, text: str, section: bool, here: str) -> dict:
    """An item for ``govukServiceNavigation``: ``current`` on the page itself (for a
    section, ``active`` on its page and the pages under it)."""
    if section:
        return {"href": href, "text": text, "active": here == href or here.startswith(href + "/")}
    return {"href": href, "text": text, "current": here == href}


def layout_context() -> dict:
    """What the one layout needs on every page: the links, which of them is this page's
    (``navigation_key``, under which the layout keeps the navigation it drew) and the path
    (for the feedback link)."""
    script_root, path = request.script_root, request.path
    navigation, footer = links(current_app).resolved_for(script_root)
    here = script_root + path
    items = [navigation_item(*link, here) for link in navigation]
    return {
        "current_path": path,
        "navigation": items,
        "navigation_key": tuple(item.get("current") or item.get("active") for item in items),
        "footer_links": footer,
    }


def init_app(app: Flask) -> None:
    app.extensions["navigation"] = Links()
    app.context_processor(layout_context)
