"""The log's sets: positions in date order, filters as sets, words kept per version.

The search tests (tests/test_foi_search.py) check whole searches against the database's
own answer on both engines; these check the sets' edges directly."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.foi.query import LogQuery
from webapp.foi.sets import LogSets

# (id, published), newest first; ids 5 and 3 share a day (the higher id first).
ORDERED = [(7, "2025-03-01"), (5, "2024-06-30"), (3, "2024-06-30"), (9, "2024-01-01"), (2, "2020-02-29")]
VALUES = {
    "outcome": [(7, "refused"), (5, "not-held"), (3, "refused"), (9, "refused"), (2, "not-held"), (4, "refused")],
    "topic": [(7, "drones"), (3, "drones"), (3, "custody"), (11, "drones")],  # 4 and 11: not published
    "exemption": [],
}


@pytest.fixture
def sets():
    return LogSets(ORDERED, VALUES)


def ids(sets, found, oldest=False):
    return sets.page(found, 0, 100, oldest=oldest)


def test_positions_follow_the_date_order_and_leave_out_what_is_not_published(sets):
    assert len(sets) == 5
    assert [sets.position(i) for i in (7, 5, 3, 9, 2)] == [0, 1, 2, 3, 4]
    assert sets.position(4) == sets.position(100) == sets.position(-1) == -1
    assert ids(sets, sets.positions([2, 4, 7, 1000])) == [7, 2]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.integers(min_value=-3, max_value=14), max_size=40))
def test_the_positions_of_any_ids_are_those_of_the_published_ones(response_ids):
    """Whatever the database gives (ids not published, unknown, repeated, in any
    order), the set holds the positions of the published ones, and nothing else."""
    sets = LogSets(ORDERED, VALUES)
    published = {response_id for response_id, _ in ORDERED}
    assert set(sets.positions(response_ids)) == {sets.position(i) for i in response_ids if i in published}
    assert set(sets.positions(iter(response_ids))) == set(sets.positions(response_ids))


def test_each_filter_value_is_a_set_and_values_of_one_filter_are_any_of(sets):
    assert ids(sets, sets.matching(LogQuery(outcomes=("refused",)))) == [7, 3, 9]
    assert ids(sets, sets.matching(LogQuery(topics=("drones", "custody")))) == [7, 3]
    assert ids(sets, sets.matching(LogQuery(outcomes=("not-held",), topics=("drones",)))) == []
    assert ids(sets, sets.matching(LogQuery(exemptions=("40(2)",)))) == []


@pytest.mark.parametrize(("criteria", "expected"), [
    ({"published_from": dt.date(2024, 6, 30)}, [7, 5, 3]),  # the day itself is in
    ({"published_from": dt.date(2024, 7, 1)}, [7]),
    ({"published_to": dt.date(2024, 6, 30)}, [5, 3, 9, 2]),
    ({"published_to": dt.date(2024, 6, 29)}, [9, 2]),
    ({"published_from": dt.date(2020, 2, 29), "published_to": dt.date(2020, 2, 29)}, [2]),
    ({"published_from": dt.date(2026, 1, 1)}, []),
    ({"published_to": dt.date(1999, 1, 1)}, []),
])
def test_a_date_range_is_inclusive_at_both_ends(sets, criteria, expected):
    assert ids(sets, sets.matching(LogQuery(**criteria))) == expected


def test_pages_newest_and_oldest_first_and_past_the_end(sets):
    everything = sets.matching(LogQuery())
    assert sets.page(everything, 0, 2) == [7, 5]
    assert sets.page(everything, 4, 2) == [2]
    assert sets.page(everything, 0, 2, oldest=True) == [2, 9]
    assert sets.page(everything, 4, 2, oldest=True) == [7]
    assert sets.page(everything, 5, 2) == sets.page(everything, 5, 2, oldest=True) == []
    assert sets.in_order(everything) == [7, 5, 3, 9, 2]
    assert sets.in_order(everything, oldest=True) == [2, 9, 3, 5, 7]


def test_words_are_fetched_once_kept_within_a_bound_and_intersected(sets, monkeypatch):
    asked = []
    found = {"lighthouse": [7, 3, 2], "keeper": [3, 2, 4], "the": None}

    def fetch(term):
        asked.append(term)
        matches = found.get(term, [])
        return None if matches is None else sets.positions(matches)

    assert ids(sets, sets.words(["lighthouse", "keeper", "lighthouse"], fetch)) == [3, 2]
    assert ids(sets, sets.words(["keeper"], fetch)) == [3, 2]
    assert asked == ["lighthouse", "keeper"]  # each word asked for once
    # A word the database ignores is left out; if it ignores every word, nothing matches.
    assert ids(sets, sets.words(["the", "lighthouse"], fetch)) == [7, 3, 2]
    assert ids(sets, sets.words(["the"], fetch)) == []
    assert asked.count("the") == 1
    monkeypatch.setattr(LogSets, "WORDS_KEPT", 2)
    sets.words(["harbour"], fetch)  # only the two used last are kept: "lighthouse" goes
    sets.words(["lighthouse"], fetch)
    assert asked.count("lighthouse") == 2 and asked.count("the") == 1


def test_an_empty_log():
    empty = LogSets([], {"outcome": [], "topic": [], "exemption": []})
    assert len(empty) == 0
    assert empty.page(empty.matching(LogQuery(published_from=dt.date(2024, 1, 1))), 0, 20) == []
    assert empty.words(["lighthouse"], lambda term: empty.positions([1])) == empty.everything
