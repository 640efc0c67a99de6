"""The home page against the server's ceiling, and the first-visit weight."""

from __future__ import annotations

from bench.harness import SERVER, alternate, bench_env, capture, ceiling, chromium, first_visit_weight, gunicorn

# The page cache's own work per request, as a share of the bare server's throughput
# (keep-alive connections, as browsers use: the connection set-up is not in either).
TARGET_RATIO = 0.7
TARGET_WEIGHT = 30 * 1024


def run(seconds: int = 20) -> bool:
    env = bench_env()
    with gunicorn("webapp:create_app()", env) as base:
        with chromium() as browser:
            weight, items = first_visit_weight(browser, base + "/")
        with ceiling(capture(base + "/"), env) as ceiling_url:
            results = alternate({"app": base + "/", "ceiling": ceiling_url + "/"}, seconds)
    app_result, ceiling_result = results["app"], results["ceiling"]

    ratio = app_result.requests_per_second / ceiling_result.requests_per_second
    print(f"Home page (/), {SERVER}, wrk -t2 -c16 --latency, app and ceiling taking turns")
    print(f"  app            {app_result.line()}")
    print(f"  ceiling        {ceiling_result.line()}")
    print(f"  ratio          {ratio:.2f}   (target ≥ {TARGET_RATIO})")
    print(f"  first visit    {weight / 1024:.1f} KB compressed (target ≤ {TARGET_WEIGHT // 1024} KB)")
    for url, size in items:
        print(f"    {size:7d} B  {url}")
    return ratio >= TARGET_RATIO and weight <= TARGET_WEIGHT and not app_result.errors
