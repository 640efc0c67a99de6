"""Cookie consent: the categories, the one registry of every cookie the site can set,
and the signed ``cookies_policy`` cookie that records a visitor's choice.

Nothing outside this module decides what a cookie is for. The cookies page tables are
generated from :data:`REGISTRY`, and a test crawls every page and form and fails if a
response sets a cookie that is not here, or a non-essential one without consent.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from webapp.i18n import lazy_gettext

ESSENTIAL = "essential"
FUNCTIONAL = "functional"
ANALYTICS = "analytics"

CONSENT_COOKIE = "cookies_policy"
CONFIRMATION_COOKIE = "cookies_confirmation"
CONSENT_MAX_AGE = 365 * 24 * 60 * 60  # one year: a choice older than 12 months counts as none
CONFIRMATION_MAX_AGE = 5 * 60
SIGNING_SALT = "webapp.consent.cookies_policy"

# What the short-lived confirmation cookie may hold, and what each means.
CONFIRMATIONS = ("accepted", "rejected", "saved")


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    description: str
    optional: bool
    question: str = ""


# Names, descriptions and questions are shown on the cookies page and translated when it
# is drawn (lazy_gettext), in the visitor's language.
CATEGORIES: tuple[Category, ...] = (
    Category(
        ESSENTIAL,
        lazy_gettext("Strictly necessary cookies"),
        lazy_gettext(
            "These essential cookies make the site work and keep it secure. We do not need your "
            "permission for them, and they hold nothing that identifies you."
        ),
        optional=False,
    ),
    Category(
        FUNCTIONAL,
        lazy_gettext("Cookies that remember your settings"),
        lazy_gettext(
            "These cookies remember choices you make on the site so you do not have to make them again."
        ),
        optional=True,
        question=lazy_gettext("Do you want to allow cookies that remember your settings?"),
    ),
    Category(
        ANALYTICS,
        lazy_gettext("Cookies that measure website use"),
        lazy_gettext(
            "These cookies tell us how you use the site, such as the pages you visit, so that we can "
            "make it better. The information is not used to identify you."
        ),
        optional=True,
        question=lazy_gettext("Do you want to allow cookies that measure your website use?"),
    ),
)
OPTIONAL_CATEGORIES = tuple(category.id for category in CATEGORIES if category.optional)


@dataclass(frozen=True)
class Cookie:
    """One cookie the site (or a script it loads) can set.

    ``name`` is shown on the cookies page; ``pattern`` matches the real names when they
    carry an id (``_ga_<id>``, ``_pk_id.<site>.<hash>``). ``provider`` is the analytics
    integration that sets it, if any: only the configured provider's cookies are listed.
    """

    name: str
    category: str
    purpose: str
    expiry: str
    set_by: str
    provider: str = ""
    pattern: str = ""
    regex: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "regex", re.compile(self.pattern or re.escape(self.name)))

    def matches(self, name: str) -> bool:
        return bool(self.regex.fullmatch(name))


# Purpose, expiry and who sets it are shown on the cookies page: translated when drawn.
THIS_SITE = lazy_gettext("this site")
GOOGLE_ANALYTICS = "Google Analytics"
MATOMO = lazy_gettext("Matomo, run by us")
THIRTEEN_MONTHS = lazy_gettext("13 months")

REGISTRY: tuple[Cookie, ...] = (
    Cookie(
        CONSENT_COOKIE, ESSENTIAL,
        lazy_gettext("Saves your cookie settings: which kinds of cookie you agreed to, and when."),
        lazy_gettext("1 year"), THIS_SITE,
    ),
    Cookie(
        CONFIRMATION_COOKIE, ESSENTIAL,
        lazy_gettext(
            "Shows the message confirming your cookie settings on the next page you see, then is deleted."
        ),
        lazy_gettext("5 minutes, or until that page is shown"), THIS_SITE,
    ),
    Cookie(
        "session", ESSENTIAL,
        lazy_gettext(
            "Protects the feedback form from being sent by another website. Set only when you open that form."
        ),
        lazy_gettext("when you close your browser"), THIS_SITE,
    ),
    # Google Analytics 4 (ANALYTICS_PROVIDER=ga4)
    Cookie(
        "_ga", ANALYTICS,
        lazy_gettext("Google Analytics: tells one visit from another with a random number."),
        THIRTEEN_MONTHS, GOOGLE_ANALYTICS, provider="ga4",
    ),
    Cookie(
        "_ga_<measurement id>", ANALYTICS,
        lazy_gettext("Google Analytics: remembers the current visit."),
        THIRTEEN_MONTHS, GOOGLE_ANALYTICS, provider="ga4", pattern=r"_ga_[A-Za-z0-9]+",
    ),
    # Matomo (ANALYTICS_PROVIDER=matomo)
    Cookie(
        "_pk_id.<site>.<hash>", ANALYTICS,
        lazy_gettext("Matomo: tells one visitor from another with a random number."),
        THIRTEEN_MONTHS, MATOMO, provider="matomo", pattern=r"_pk_id\.[^=;\s]+",
    ),
    Cookie(
        "_pk_ses.<site>.<hash>", ANALYTICS,
        lazy_gettext("Matomo: remembers the current visit."),
        lazy_gettext("30 minutes"), MATOMO, provider="matomo", pattern=r"_pk_ses\.[^=;\s]+",
    ),
    Cookie(
        "_pk_ref.<site>.<hash>", ANALYTICS,
        lazy_gettext("Matomo: remembers which website you came from."),
        lazy_gettext("6 months"), MATOMO, provider="matomo", pattern=r"_pk_ref\.[^=;\s]+",
    ),
    Cookie(
        "_pk_testcookie.<site>.<hash>", ANALYTICS,
        lazy_gettext("Matomo: checks that your browser accepts cookies."),
        lazy_gettext("deleted at once"), MATOMO, provider="matomo", pattern=r"_pk_testcookie\.[^=;\s]+",
    ),
    # Plausible (ANALYTICS_PROVIDER=plausible) sets no cookies.
)

def registered(name: str) -> Cookie | None:
    """The registry entry for a cookie name, or None when the site must never set it."""
    return next((cookie for cookie in REGISTRY if cookie.matches(name)), None)


def cookies_in(category: str, provider: str = "") -> list[Cookie]:
    """The cookies of a category to list on the cookies page: analytics cookies only of
    the configured provider."""
    return [
        cookie for cookie in REGISTRY
        if cookie.category == category and (not cookie.provider or cookie.provider == provider)
    ]


def analytics_cookie_names(present: Iterable[str], provider: str = "", site_id: str = "") -> list[str]:
    """Analytics cookies to delete: every name in ``present`` (the request's cookies)
    that a registered analytics cookie matches, plus the configured provider's fixed
    names, so a withdrawal removes them even when the browser did not send them."""
    names = [name for name in present if (cookie := registered(name)) and cookie.category == ANALYTICS]
    if provider == "ga4":
        names.append("_ga")
        suffix = site_id.removeprefix("G-")
        if suffix and re.fullmatch(r"[A-Za-z0-9]+", suffix):
            names.append(f"_ga_{suffix}")
    return sorted(set(names))


def analytics_cookie_patterns() -> list[str]:
    """Name patterns for the browser script that clears analytics cookies."""
    return [cookie.regex.pattern for cookie in REGISTRY if cookie.category == ANALYTICS]


@dataclass(frozen=True)
class Consent:
    """A valid choice: the optional categories agreed to, the policy version, and when."""

    categories: Mapping[str, bool]
    version: int
    chosen_at: int

    def allows(self, category: str) -> bool:
        return category == ESSENTIAL or bool(self.categories.get(category))

    @property
    def accepted_all(self) -> bool:
        return all(self.allows(category) for category in OPTIONAL_CATEGORIES)


def choice_from(categories: Mapping[str, bool], version: int, now: float | None = None) -> Consent:
    """A new consent for exactly the optional categories (anything else is ignored)."""
    return Consent(
        categories={category: bool(categories.get(category)) for category in OPTIONAL_CATEGORIES},
        version=version,
        chosen_at=int(time.time() if now is None else now),
    )


def accept_all(version: int) -> Consent:
    return choice_from({category: True for category in OPTIONAL_CATEGORIES}, version)


def reject_all(version: int) -> Consent:
    return choice_from({}, version)


def serializer(secret_key: str, fallbacks: Iterable[str] = ()) -> URLSafeTimedSerializer:
    """Signs with ``secret_key``; still verifies cookies signed with any fallback key,
    so rotating SECRET_KEY (old one in SECRET_KEY_FALLBACKS) asks nobody again."""
    keys = [*[key for key in fallbacks if key], secret_key]  # itsdangerous signs with the last
    return URLSafeTimedSerializer(keys, salt=SIGNING_SALT)


def dump(consent: Consent, secret_key: str, fallbacks: Iterable[str] = ()) -> str:
    payload = {"c": dict(consent.categories), "v": consent.version, "t": consent.chosen_at}
    return serializer(secret_key, fallbacks).dumps(payload)


def load(
    value: str | None,
    secret_key: str,
    fallbacks: Iterable[str] = (),
    version: int = 1,
    now: float | None = None,
) -> Consent | None:
    """The consent in a ``cookies_policy`` value, or None when there is no valid choice:
    missing, tampered, unparseable, older than 12 months, or of another policy version."""
    if not value or len(value) > 1024:
        return None
    try:
        payload, signed_at = serializer(secret_key, fallbacks).loads(
            value, max_age=CONSENT_MAX_AGE, return_timestamp=True
        )
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or payload.get("v") != version:
        return None
    categories, chosen_at = payload.get("c"), payload.get("t")
    if not isinstance(categories, dict) or not isinstance(chosen_at, int):
        return None
    current = time.time() if now is None else now
    if current - chosen_at > CONSENT_MAX_AGE or chosen_at - current > 300:
        return None
    return Consent(
        categories={category: categories.get(category) is True for category in OPTIONAL_CATEGORIES},
        version=version,
        chosen_at=chosen_at,
    )
