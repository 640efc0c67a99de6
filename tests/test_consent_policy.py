"""The signed consent cookie and the registry of cookies (webapp/consent/policy.py)."""

import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from webapp.consent import policy

KEY = "k" * 40
OLD_KEY = "o" * 40
YEAR = 365 * 24 * 60 * 60


def test_round_trip_keeps_categories_version_and_time():
    consent = policy.choice_from({"analytics": True, "functional": False}, version=3, now=1_700_000_000)
    value = policy.dump(consent, KEY)
    loaded = policy.load(value, KEY, version=3, now=1_700_000_100)
    assert loaded == consent
    assert loaded.allows("analytics") and not loaded.allows("functional") and loaded.allows("essential")


def test_accept_and_reject_cover_every_optional_category():
    assert policy.accept_all(1).accepted_all
    rejected = policy.reject_all(1)
    assert not any(rejected.allows(category) for category in policy.OPTIONAL_CATEGORIES)


def test_unknown_categories_are_ignored():
    consent = policy.choice_from({"analytics": True, "advertising": True}, version=1)
    assert set(consent.categories) == set(policy.OPTIONAL_CATEGORIES)


@pytest.mark.parametrize("value", [None, "", "garbage", "a.b.c", "x" * 2000, "eyJ9.abc.def"])
def test_missing_or_unparseable_is_no_choice(value):
    assert policy.load(value, KEY) is None


def test_tampered_value_is_no_choice():
    value = policy.dump(policy.reject_all(1), KEY)
    payload, rest = value.split(".", 1)
    # Swap the payload for one that claims everything was accepted, keeping the signature.
    forged = policy.dump(policy.accept_all(1), KEY).split(".", 1)[0]
    assert policy.load(f"{forged}.{rest}", KEY) is None
    assert policy.load(value[:-2] + ("AA" if not value.endswith("AA") else "BB"), KEY) is None


def test_signed_with_another_key_is_no_choice():
    assert policy.load(policy.dump(policy.accept_all(1), "another-key" * 4), KEY) is None


def test_signed_payload_of_wrong_shape_is_no_choice():
    signer = policy.serializer(KEY)
    for payload in (["c"], {"v": 1}, {"v": 1, "c": [], "t": 1}, {"v": 1, "c": {}, "t": "yesterday"}):
        assert policy.load(signer.dumps(payload), KEY) is None


def test_choice_older_than_twelve_months_is_no_choice():
    now = time.time()
    consent = policy.choice_from({"analytics": True}, version=1, now=now - YEAR - 60)
    value = policy.dump(consent, KEY)
    assert policy.load(value, KEY, now=now) is None
    assert policy.load(value, KEY, now=now - 120) is not None


def test_signature_timestamp_older_than_a_year_is_refused(monkeypatch):
    """Even with a fresh-looking payload time, the signature's own timestamp expires."""
    value = policy.dump(policy.accept_all(1), KEY)
    real_time = time.time

    monkeypatch.setattr(time, "time", lambda: real_time() + YEAR + 3600)
    assert policy.load(value, KEY, now=real_time()) is None


def test_choice_from_the_future_is_refused():
    consent = policy.choice_from({}, version=1, now=time.time() + 3600)
    assert policy.load(policy.dump(consent, KEY), KEY) is None


def test_older_policy_version_asks_again():
    value = policy.dump(policy.accept_all(1), KEY)
    assert policy.load(value, KEY, version=1) is not None
    assert policy.load(value, KEY, version=2) is None


def test_key_rotation_accepts_the_old_key_as_a_fallback():
    old_value = policy.dump(policy.accept_all(1), OLD_KEY)
    assert policy.load(old_value, KEY) is None
    assert policy.load(old_value, KEY, fallbacks=[OLD_KEY]) is not None
    # New values are signed with the current key, not the fallback.
    new_value = policy.dump(policy.accept_all(1), KEY, fallbacks=[OLD_KEY])
    assert policy.load(new_value, KEY) is not None
    assert policy.load(new_value, OLD_KEY) is None


def test_the_signature_is_salted_for_this_purpose():
    """A value signed by the same key for something else (another salt) is refused."""
    other = URLSafeTimedSerializer(KEY, salt="something-else").dumps({"c": {"analytics": True}, "v": 1, "t": int(time.time())})
    assert policy.load(other, KEY) is None


@pytest.mark.parametrize(
    "name, category",
    [
        ("cookies_policy", "essential"), ("cookies_confirmation", "essential"), ("session", "essential"),
        ("_ga", "analytics"), ("_ga_ABC123", "analytics"), ("_pk_id.1.a1b2", "analytics"),
        ("_pk_ses.1.a1b2", "analytics"), ("_pk_ref.3.ffff", "analytics"),
    ],
)
def test_registry_knows_every_cookie(name, category):
    assert policy.registered(name).category == category


@pytest.mark.parametrize("name", ["_gid", "tracking", "cookies_policy2", "_ga_", "xsession", "_pk_id"])
def test_registry_refuses_unknown_names(name):
    assert policy.registered(name) is None


def test_every_registered_cookie_is_documented():
    categories = {category.id for category in policy.CATEGORIES}
    for cookie in policy.REGISTRY:
        assert cookie.category in categories
        assert cookie.purpose and cookie.expiry and cookie.set_by


def test_analytics_names_to_delete():
    present = ["cookies_policy", "_ga", "_pk_id.1.abc", "session"]
    assert policy.analytics_cookie_names(present) == ["_ga", "_pk_id.1.abc"]
    assert policy.analytics_cookie_names([], "ga4", "G-ABC123") == ["_ga", "_ga_ABC123"]
