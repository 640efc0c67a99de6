"""Issue 4: pages stay fast when they vary by consent.

Every page now carries the cookie banner until a choice exists, and differs by the
``cookies_policy`` cookie afterwards (for a consenting visitor, with analytics on, the
analytics tags and a per-response CSP). The page cache keys by the cookie value, so a
returning visitor's pages should be served as fast as a first visitor's.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from http.cookies import SimpleCookie

from bench.harness import bench_env, gunicorn, wrk

TARGET_RPS = 2000


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def consent_cookie(base: str, choice: str) -> str:
    """Make a choice the way a browser without JavaScript does; return the cookie header."""
    data = urllib.parse.urlencode({"cookies": choice, "return_to": "/"}).encode()
    request = urllib.request.Request(base + "/cookies/consent", data=data, headers={"Origin": base})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(request)
    except urllib.error.HTTPError as response:  # the 303 arrives as an "error" without redirects
        if response.code != 303:
            raise
        cookie = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie"):
            cookie.load(header)
        return f"cookies_policy={cookie['cookies_policy'].value}"
    raise RuntimeError("the consent POST did not redirect")


def run(seconds: int = 20) -> bool:
    env = bench_env(
        ANALYTICS_PROVIDER="matomo", ANALYTICS_SCRIPT_URL="https://stats.example.org/", ANALYTICS_SITE_ID="1",
    )
    results = {}
    with gunicorn("webapp:create_app()", env) as base:
        results["no choice (banner)"] = wrk(base + "/", seconds)
        for choice in ("accept", "reject"):
            cookie = consent_cookie(base, choice)
            results[f"{choice}ed (cookie)"] = wrk(base + "/", seconds, headers={"Cookie": cookie})
    print("Home page (/) by consent state, gunicorn 2 sync workers, wrk -t2 -c16 --latency, analytics configured")
    for label, result in results.items():
        print(f"  {label:20s} {result.line()}")
    print(f"  target ≥ {TARGET_RPS} req/s in every state")
    return all(result.requests_per_second >= TARGET_RPS and not result.errors for result in results.values())
