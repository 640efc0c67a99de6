"""The registry of page states every quality gate reads (``tests/states.py``)."""

import pytest

from tests.routes import EXCLUDED, page_paths
from tests.states import (
    EXTRA_STATES, LIGHTHOUSE_STATES, State, all_states, lighthouse_states, resolve, route_exists, site_app,
)


@pytest.fixture
def url_map_app():
    return site_app()


def test_every_parameterless_page_is_a_state(url_map_app):
    names = [state.name for state in all_states(url_map_app)]
    assert set(page_paths(url_map_app)) <= set(names)
    assert {"/", "/accessibility-statement", "/privacy"} <= set(names)
    assert not set(EXCLUDED) & set(names)
    assert len(names) == len(set(names)), "two states share a name"
    assert [state.name for state in EXTRA_STATES][:1] == ["404 page"]


def test_every_exclusion_says_why():
    assert all(reason.strip() for reason in EXCLUDED.values())


def test_lighthouse_names_resolve_to_states(url_map_app):
    states = lighthouse_states(url_map_app)
    assert [state.name for state in states] == LIGHTHOUSE_STATES
    assert callable(next(state for state in states if state.name == "FOI response").path)


def test_a_missing_route_is_skipped_with_its_reason(url_map_app):
    assert route_exists(url_map_app, "/privacy")
    assert not route_exists(url_map_app, "/not-built-yet")
    with pytest.raises(pytest.skip.Exception, match="later page: not yet present .no route for /not-built-yet"):
        resolve(State("later page", "/not-built-yet"), url_map_app, page=None)
    # An error state is expected to have no route.
    assert resolve(State("404 page", "/no-such-page", status=404), url_map_app, page=None) == "/no-such-page"
