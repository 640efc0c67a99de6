"""The optional analytics integration, switched on by settings and loaded only for a
visitor who accepted analytics cookies.

Each provider is described by what the page must load and which origins the
Content-Security-Policy must then allow. The page gets the provider's script as an
external file plus our small ``analytics.js`` module configured through ``data-``
attributes: never inline code.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

from webapp.config import GA4_SCRIPT_URL


@dataclass(frozen=True)
class Integration:
    provider: str
    script_url: str  # the provider's script, loaded with async
    site_id: str
    tracker_url: str  # where events are sent (Matomo), else ""
    script_src: tuple[str, ...]
    connect_src: tuple[str, ...]
    img_src: tuple[str, ...]

    @property
    def data_attributes(self) -> dict[str, str]:
        return {
            "data-analytics-provider": self.provider,
            "data-analytics-site-id": self.site_id,
            "data-analytics-tracker": self.tracker_url,
        }


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


GA4_ORIGINS = (
    "https://www.googletagmanager.com",
    "https://*.google-analytics.com",
    "https://*.analytics.google.com",
)


def integration(config) -> Integration | None:
    """The configured integration, or None when analytics is off (the default)."""
    provider = config.get("ANALYTICS_PROVIDER", "")
    script_url = config.get("ANALYTICS_SCRIPT_URL", "")
    site_id = config.get("ANALYTICS_SITE_ID", "")
    if provider == "ga4" and not script_url:
        script_url = GA4_SCRIPT_URL
    if not provider or not script_url.startswith("https://") or not site_id:
        return None  # config.load refuses these at start-up; never load a half-set integration
    if provider == "plausible":
        own = origin(script_url)
        return Integration(provider, script_url, site_id, "", (own,), (own,), ())
    if provider == "matomo":
        base = script_url if script_url.endswith("/") else script_url + "/"
        own = origin(base)
        return Integration(
            provider, urljoin(base, "matomo.js"), site_id, urljoin(base, "matomo.php"),
            (own,), (own,), (own,),
        )
    if provider == "ga4":
        url = f"{script_url}?{urlencode({'id': site_id})}"
        own = origin(script_url)
        script = tuple(dict.fromkeys((own, GA4_ORIGINS[0])))
        return Integration(provider, url, site_id, "", script, (own, *GA4_ORIGINS), (own, *GA4_ORIGINS))
    return None
