"""Pages stay fast when they vary by consent.

Every page carries the cookie banner until a choice exists, and differs by the
``cookies_policy`` cookie afterwards (for a consenting visitor, with analytics on, the
analytics tags and a per-response CSP). The page cache keys by the cookie value, so a
returning visitor's pages should be served as fast as a first visitor's. The cookies
page is measured too: it is cached per consent state and way back.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from http.cookies import SimpleCookie

from bench.harness import SERVER, WrkResult, bench_env, capture, ceiling, gunicorn, wrk

# Each page, in each consent state, against the bare server's ceiling in the same run.
TARGET_RATIO = 0.7
PAGES = ("/", "/cookies")


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
    seconds = max(3, seconds // 2)  # six measurements
    results = {}
    with gunicorn("webapp:create_app()", env) as base, ceiling(capture(base + "/"), env) as ceiling_url:
        cookies = {"no choice": None}
        for choice in ("accept", "reject"):
            cookies[f"{choice}ed"] = consent_cookie(base, choice)
        # The ceiling before and after the pages (both servers up): their mean.
        ceilings = [wrk(ceiling_url + "/", seconds)]
        for path in PAGES:
            for label, cookie in cookies.items():
                headers = {"Cookie": cookie} if cookie else None
                results[f"{path} {label}"] = wrk(base + path, seconds, headers=headers)
        # As a visitor arrives from a page: the way back comes from the Referer.
        results["/cookies from /foi"] = wrk(base + "/cookies", seconds, headers={"Referer": base + "/foi"})
        ceilings.append(wrk(ceiling_url + "/", seconds))
    bare = WrkResult(sum(c.requests_per_second for c in ceilings) / 2, max(c.p50_ms for c in ceilings),
                     max(c.p99_ms for c in ceilings), "")
    print(f"Pages by consent state, {SERVER}, wrk -t2 -c16 --latency, analytics configured")
    print(f"  {'ceiling (before/after)':22s} {bare.line()}   "
          f"({ceilings[0].requests_per_second:.0f} / {ceilings[1].requests_per_second:.0f})")
    met = True
    for label, result in results.items():
        ratio = result.requests_per_second / bare.requests_per_second
        print(f"  {label:22s} {result.line()}   {ratio:.2f} × the ceiling")
        met = met and ratio >= TARGET_RATIO and not result.errors
    print(f"  target ≥ {TARGET_RATIO} × the ceiling for every page in every state (all from the page cache)")
    return met
