"""The cookies page's form (webapp/consent/forms.py): one question per optional
category of the registry, and whatever is posted, only our own validation message."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import soup
from webapp.consent import policy
from webapp.consent.forms import CookieSettingsForm

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def test_one_yes_no_question_per_optional_category(client):
    page = soup(client.get("/cookies"))
    fieldsets = page.select("main form fieldset.govuk-fieldset")
    optional = [category for category in policy.CATEGORIES if category.optional]
    assert [f.select_one("legend").get_text(strip=True) for f in fieldsets] == [c.question for c in optional]
    for fieldset, category in zip(fieldsets, optional, strict=True):
        radios = fieldset.select("input[type=radio]")
        assert [(r["name"], r["value"]) for r in radios] == [(category.id, "yes"), (category.id, "no")]
        assert radios[0]["id"] == category.id  # where the error summary links


def test_an_answer_that_is_neither_yes_nor_no_is_an_error_and_nothing_is_chosen(client):
    response = client.post("/cookies", data={"functional": "maybe", "analytics": "no"}, headers=SAME_ORIGIN)
    page = soup(response)
    assert response.status_code == 200
    assert [a["href"] for a in page.select(".govuk-error-summary__list a")] == ["#functional"]
    assert not [r for r in page.select("input[name=functional]") if r.has_attr("checked")]
    assert page.select_one("input[name=analytics][value=no]").has_attr("checked")
    assert response.headers.getlist("Set-Cookie") == []


def test_the_form_shows_a_saved_choice_and_no_to_everything_without_one(app):
    consent = policy.choice_from({"analytics": True}, version=1)
    with app.test_request_context("/cookies"):
        assert CookieSettingsForm.showing(consent).data == {"return_to": None, "functional": "no", "analytics": "yes"}
        assert CookieSettingsForm.showing(None).data == {"return_to": None, "functional": "no", "analytics": "no"}


ANSWER = st.one_of(st.sampled_from(["yes", "no", "", "YES", "yes ", "1"]), st.text(max_size=20))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(functional=ANSWER, analytics=ANSWER, return_to=st.text(max_size=40))
def test_any_post_is_saved_or_gets_our_own_error_summary(client, functional, analytics, return_to):
    data = {"functional": functional, "analytics": analytics, "return_to": return_to}
    response = client.post("/cookies", data=data, headers=SAME_ORIGIN)
    answered = {functional, analytics} <= {"yes", "no"}
    if answered:
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/cookies")
        return
    assert response.status_code == 200
    page = soup(response)
    expected = [f"#{name}" for name, value in (("functional", functional), ("analytics", analytics))
                if value not in ("yes", "no")]
    assert [a["href"] for a in page.select(".govuk-error-summary__list a")] == expected
    assert page.title.get_text().startswith("Error: Cookies")
