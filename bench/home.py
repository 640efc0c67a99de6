"""Issue 2: the home page against the server's ceiling, and the first-visit weight."""

from __future__ import annotations

from bench.harness import SERVER, bench_env, capture, ceiling, chromium, first_visit_weight, gunicorn, wrk

# The page cache's own work per request, as a share of the bare server's throughput
# (keep-alive connections, as browsers use: the connection set-up is not in either).
TARGET_RATIO = 0.7
TARGET_WEIGHT = 30 * 1024


def run(seconds: int = 20) -> bool:
    env = bench_env()
    with gunicorn("webapp:create_app()", env) as base:
        stored = capture(base + "/")
        app_result = wrk(base + "/", seconds)
        with chromium() as browser:
            weight, items = first_visit_weight(browser, base + "/")

    with ceiling(stored, env) as ceiling_url:
        ceiling_result = wrk(ceiling_url + "/", seconds)

    ratio = app_result.requests_per_second / ceiling_result.requests_per_second
    print(f"Home page (/), {SERVER}, wrk -t2 -c16 --latency")
    print(f"  app            {app_result.line()}")
    print(f"  ceiling        {ceiling_result.line()}")
    print(f"  ratio          {ratio:.2f}   (target ≥ {TARGET_RATIO})")
    print(f"  first visit    {weight / 1024:.1f} KB compressed (target ≤ {TARGET_WEIGHT // 1024} KB)")
    for url, size in items:
        print(f"    {size:7d} B  {url}")
    return ratio >= TARGET_RATIO and weight <= TARGET_WEIGHT and not app_result.errors
