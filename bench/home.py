"""Issue 2: the home page against the server's ceiling, and the first-visit weight."""

from __future__ import annotations

import json
import tempfile
import urllib.request

from bench.harness import bench_env, chromium, first_visit_weight, gunicorn, wrk

TARGET_RPS = 2000
TARGET_RATIO = 0.7
TARGET_WEIGHT = 30 * 1024


def capture(url: str) -> dict:
    with urllib.request.urlopen(url) as response:
        headers = [
            (name, value) for name, value in response.getheaders()
            if name.lower() not in {"date", "server", "connection", "transfer-encoding"}
        ]
        return {"status": f"{response.status} {response.reason}", "headers": headers,
                "body": response.read().decode("utf-8")}


def run(seconds: int = 20) -> bool:
    env = bench_env()
    with gunicorn("webapp:create_app()", env) as base:
        stored = capture(base + "/")
        app_result = wrk(base + "/", seconds)
        with chromium() as browser:
            weight, items = first_visit_weight(browser, base + "/")

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(stored, handle)
    with gunicorn("bench.ceiling:app", {**env, "BENCH_CEILING_FILE": handle.name}) as ceiling:
        ceiling_result = wrk(ceiling + "/", seconds)

    ratio = app_result.requests_per_second / ceiling_result.requests_per_second
    print("Home page (/), gunicorn 2 sync workers, wrk -t2 -c16 --latency")
    print(f"  app            {app_result.line()}")
    print(f"  ceiling        {ceiling_result.line()}")
    print(f"  ratio          {ratio:.2f}   (target ≥ {TARGET_RATIO}; app target ≥ {TARGET_RPS} req/s)")
    print(f"  first visit    {weight / 1024:.1f} KB compressed (target ≤ {TARGET_WEIGHT // 1024} KB)")
    for url, size in items:
        print(f"    {size:7d} B  {url}")
    return (
        app_result.requests_per_second >= TARGET_RPS and ratio >= TARGET_RATIO and weight <= TARGET_WEIGHT
    )
