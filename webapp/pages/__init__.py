"""Site pages that are not a capability of their own: the home page, the accessibility
statement, the privacy notice and staying safe online; the site's contact link."""

from __future__ import annotations

from flask import Flask, current_app

from webapp.i18n import lazy_gettext
from webapp.navigation import add_footer_link, add_navigation


def contact_url() -> str:
    return current_app.config["CONTACT_URL"]


def init_app(app: Flask) -> None:
    from webapp.pages.views import bp

    app.register_blueprint(bp)
    add_navigation(app, "pages.home", lazy_gettext("Home"))
    # The footer reads: the statement, cookies (consent's, order 20), privacy, staying safe, contact.
    add_footer_link(app, "pages.accessibility_statement", lazy_gettext("Accessibility statement"), order=10)
    add_footer_link(app, "pages.privacy", lazy_gettext("Privacy"), order=30)
    add_footer_link(app, "pages.staying_safe_online", lazy_gettext("Staying safe online"), order=40)
    add_footer_link(app, contact_url, lazy_gettext("Contact"), order=90)
