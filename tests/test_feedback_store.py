"""The feedback store on SQLite and PostgreSQL: redaction, browser family, one row per
submission id, retention."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import inspect

from tests.conftest import make_app
from webapp.extensions import db
from webapp.feedback import store


@pytest.fixture(params=["sqlite", "postgresql"])
def store_app(request, tmp_path):
    if request.param == "sqlite":
        return make_app(tmp_path)
    return make_app(tmp_path, DATABASE_URL=request.getfixturevalue("postgres_url"))


def submission(**changes) -> store.Submission:
    values = dict(
        submission_id=uuid.uuid4().hex, rating=2, improvement="Fine", page="/foi",
        user_agent="Mozilla/5.0 (Macintosh) Gecko/20100101 Firefox/133.0", js_enabled=True,
    )
    values.update(changes)
    return store.Submission(**values)


@pytest.mark.parametrize("text,expected", [
    ("write to jo.bloggs+foi@example.co.uk please", "write to [email] please"),
    ("JO@EXAMPLE.ORG", "[email]"),
    ("call 07700 900123 after 6", "call [phone] after 6"),
    ("call 07700900123.", "call [phone]."),
    ("ring (020) 7946 0018", "ring [phone]"),
    ("ring 020-7946-0018", "ring [phone]"),
    ("+44 7700 900123", "[phone]"),
    ("+44 (0)161 496 0000 or 0044 1632 960001", "[phone] or [phone]"),
    ("01632 960001", "[phone]"),
    # Not phone numbers: FOI references, years, short numbers, dates.
    ("see 01.FOI.23.031828 from 2023", "see 01.FOI.23.031828 from 2023"),
    ("on 01/02/2024 at 10:30, page 12", "on 01/02/2024 at 10:30, page 12"),
    ("Reference 123456789012", "Reference 123456789012"),
    # Digits inside a longer word are part of an identifier, not a phone number.
    ("session 07700900123abc", "session 07700900123abc"),
    ("build 0161496000x2", "build 0161496000x2"),
])
def test_redaction(text, expected):
    assert store.redact(text) == expected


@given(st.from_regex(r"[0-9a-f]{32}", fullmatch=True))
def test_identifiers_are_never_redacted(identifier):
    """Hex identifiers (a uuid4().hex, a commit) pass through whole, whatever digits they start with."""
    text = f"ticket {identifier} raised"
    assert store.redact(text) == text


@pytest.mark.parametrize("user_agent,family", [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15", "Safari"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "CriOS/120.0 Mobile/15E148 Safari/604.1", "Chrome"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox"),
    ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/23.0 Chrome/115.0 Mobile Safari/537.36", "Samsung Internet"),
    ("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 OPR/106.0", "Opera"),
    ("Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko", "Internet Explorer"),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Bot or script"),
    ("curl/8.5.0", "Bot or script"),
    ("", "Unknown"),
    (None, "Unknown"),
    ("SomethingNew/1.0", "Other"),
])
def test_browser_family(user_agent, family):
    assert store.browser_family(user_agent) == family


def test_migration_creates_the_table(store_app):
    with store_app.app_context():
        inspector = inspect(db.engine)
        columns = {column["name"] for column in inspector.get_columns("feedback")}
        unique = inspector.get_unique_constraints("feedback")
    assert columns == {
        "id", "submission_id", "rating", "improvement", "page", "submitted_at",
        "user_agent_family", "js_enabled",
    }
    assert [constraint["column_names"] for constraint in unique] == [["submission_id"]]


def test_save_stores_a_redacted_row(store_app):
    with store_app.app_context():
        assert store.save(submission(improvement="Email me at a@b.org or 07700 900123")) is True
        [row] = list(store.entries())
    assert row.improvement == "Email me at [email] or [phone]"
    assert row.user_agent_family == "Firefox"
    assert row.js_enabled is True and row.page == "/foi" and row.rating == 2
    assert row.submitted_at.tzinfo == UTC
    assert abs(row.submitted_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_the_same_submission_id_is_stored_once(store_app):
    same = submission()
    with store_app.app_context():
        assert store.save(same) is True
        assert store.save(same) is False
        assert store.stats().total == 1


def test_a_save_is_its_own_transaction_and_gives_its_connection_back(store_app):
    """Stored, refused as a repeat or failed, a save commits or rolls back on a connection
    of its own and returns it to the pool; the request's ORM session is not opened."""
    same = submission()
    with store_app.app_context():
        pool = db.engine.pool
        assert store.save(same) is True
        assert store.save(same) is False
        with pytest.raises(store.StoreError):
            store.save(submission(rating=9))  # the CHECK constraint refuses it
        assert pool.checkedout() == 0
        assert store.stats().total == 1


def test_concurrent_repeats_store_one_row(store_app):
    """Two workers receiving the same form at once: the unique id keeps one row."""
    same = submission()
    results = []

    def worker():
        with store_app.app_context():
            results.append(store.save(same))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]
    with store_app.app_context():
        assert store.stats().total == 1


def test_period_filters_and_stats(store_app):
    now = datetime(2026, 6, 15, 12, tzinfo=UTC)
    with store_app.app_context():
        store.save(submission(rating=1), now=now - timedelta(days=30))
        store.save(submission(rating=1, improvement=""), now=now)
        store.save(submission(rating=5, js_enabled=False), now=now + timedelta(days=1))
        june_15 = store.stats(now.replace(hour=0), now.replace(hour=0) + timedelta(days=1))
        everything = store.stats()
    assert june_15.total == 1 and june_15.by_rating[1] == 1 and june_15.with_text == 0
    assert everything.total == 3
    assert everything.by_rating == {1: 2, 2: 0, 3: 0, 4: 0, 5: 1}
    assert everything.js_enabled == 2 and everything.with_text == 2


def test_purge_deletes_only_feedback_older_than_the_retention_period(store_app):
    now = datetime.now(UTC)
    with store_app.app_context():
        store.save(submission(improvement="old"), now=now - timedelta(days=366))
        store.save(submission(improvement="recent"), now=now - timedelta(days=364))
        assert store.purge(365) == 1
        assert [row.improvement for row in store.entries()] == ["recent"]


def test_unwritable_database_raises_store_error(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE feedback")
        with pytest.raises(store.StoreError):
            store.save(submission())
