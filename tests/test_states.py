"""The registry of page states every quality gate reads (``tests/states.py``)."""

import pytest

import tests.states as states
from tests.routes import EXCLUDED, page_paths
from tests.states import (
    EXTRA_STATES,
    LIGHTHOUSE_STATES,
    MissingState,
    State,
    all_states,
    fetch_state,
    first_link,
    lighthouse_states,
    prepare_site,
    press,
    resolve,
    route_exists,
    site_app,
)
from webapp.consent.policy import CONSENT_COOKIE


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


def test_a_missing_route_fails_naming_the_state(url_map_app):
    assert route_exists(url_map_app, "/privacy")
    assert not route_exists(url_map_app, "/renamed-page")
    with pytest.raises(MissingState, match="state “old page”: no GET route for /renamed-page in the URL map"):
        resolve(State("old page", "/renamed-page"), url_map_app)
    # An error state is expected to have no route.
    assert resolve(State("404 page", "/no-such-page", status=404), url_map_app) == "/no-such-page"


def test_a_missing_link_or_button_fails_naming_the_state(app):
    client = app.test_client()
    no_link = State("a response", first_link(on="/", prefix="/no-such-prefix/"))
    with pytest.raises(MissingState, match="state “a response”: the first link to /no-such-prefix/… on / found nothing"):
        fetch_state(client, no_link)
    gone = State("a response", first_link(on="/renamed-log", prefix="/foi/"))
    with pytest.raises(MissingState, match="state “a response”: no GET route for /renamed-log"):
        fetch_state(client, gone)
    no_button = State("sent", "/feedback", act=press("Send it now"))
    with pytest.raises(MissingState, match="state “sent”: no “Send it now” button on /feedback"):
        fetch_state(client, no_button)
    nothing_shown = State("confirmed", "/", act=press("Accept additional cookies", shows="#never-there"))
    with pytest.raises(MissingState, match="did not show #never-there"):
        fetch_state(client, nothing_shown)


def test_pressing_a_button_sends_its_form_like_a_browser_without_javascript(app):
    client = app.test_client()
    _, response = fetch_state(client, State("accepted", "/", act=press("Accept additional cookies")))
    assert response.status_code == 200
    assert response.request.path == "/"  # the consent POST redirects back to the page
    assert client.get_cookie(CONSENT_COOKIE) is not None


def test_a_missing_site_command_fails(app, monkeypatch):
    monkeypatch.setattr(states, "SITE_COMMANDS", [["foi", "renamed-import"]])
    with pytest.raises(MissingState, match="`flask foi renamed-import` .* is not a command of the app"):
        prepare_site(app)


def test_a_lighthouse_name_without_a_state_fails(url_map_app, monkeypatch):
    monkeypatch.setattr(states, "LIGHTHOUSE_STATES", ["/", "renamed state"])
    with pytest.raises(MissingState, match="LIGHTHOUSE_STATES names no registered state: \\['renamed state'\\]"):
        lighthouse_states(url_map_app)
