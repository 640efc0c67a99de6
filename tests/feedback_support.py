"""What the feedback tests share: open the form like a browser, send it, read the table."""

from __future__ import annotations

import logging

from sqlalchemy import select

from tests.conftest import soup
from webapp.extensions import db
from webapp.feedback.store import Feedback

CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def open_form(client, path: str = "/feedback") -> dict:
    """GET the form; return the hidden fields a browser would send back."""
    response = client.get(path)
    assert response.status_code == 200
    form = soup(response).select_one("main form")
    return {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}


def send(client, hidden: dict, **answers):
    data = {**hidden, **answers}
    return client.post("/feedback", data=data, headers={"User-Agent": CHROME_UA})


def send_page(post_page, client, hidden: dict, status: int = 200, **answers):
    """``send``, when the answer is a page: its status and what every page must be are
    checked (``tests/pages.py``), and it comes back parsed."""
    return post_page("/feedback", data={**hidden, **answers}, headers={"User-Agent": CHROME_UA},
                     status=status, client=client)


def rows(app) -> list[Feedback]:
    with app.app_context():
        return list(db.session.scalars(select(Feedback).order_by(Feedback.id)))


class Captured(logging.Handler):
    """The app logger does not propagate, so tests attach this to read its records."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def messages(self) -> list[str]:
        return [record.getMessage() for record in self.records]


def capture_log(app) -> Captured:
    handler = Captured()
    app.logger.addHandler(handler)
    return handler
