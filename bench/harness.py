"""What every benchmark needs: a gunicorn server on loopback, wrk, and a Chromium page."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                response.read()
                return
        except Exception:  # noqa: BLE001 - not up yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def bench_env(**extra: str) -> dict[str, str]:
    """A production-like environment for the app under test, with its own SQLite file."""
    workdir = Path(tempfile.mkdtemp(prefix="foi-bench-"))
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SITE_URL": "http://127.0.0.1",  # the host wrk and the benchmarks ask for (any port)
        "SECRET_KEY": "bench-" + "x" * 40,
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "LOG_LEVEL": "WARNING",
    }
    env.update(extra)
    return env


# The shipped serving configuration: what is benchmarked is what is deployed.
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"


@contextlib.contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int = 2, options: tuple[str, ...] = ()):
    """Serve ``app`` with gunicorn and the shipped configuration on a free loopback port.

    ``options`` are further gunicorn command-line options, which win over the file's
    (used to compare other worker classes)."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONFIG), "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", *options, app],
        cwd=ROOT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


SERVER = "gunicorn -c deploy/gunicorn.conf.py (2 gevent workers)"


def capture(url: str) -> dict:
    """A response from the app, stored for the ceiling to replay (status, headers, body)."""
    with urllib.request.urlopen(url) as response:
        headers = [
            (name, value) for name, value in response.getheaders()
            if name.lower() not in {"date", "server", "connection", "transfer-encoding"}
        ]
        return {"status": f"{response.status} {response.reason}", "headers": headers,
                "body": response.read().decode("utf-8")}


@contextlib.contextmanager
def ceiling(stored: dict, env: dict[str, str]):
    """The server's ceiling: ``bench.ceiling`` replaying ``stored`` for every request,
    served by the same gunicorn configuration as the app."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(stored, handle)
    try:
        with gunicorn("bench.ceiling:app", {**env, "BENCH_CEILING_FILE": handle.name}) as url:
            yield url
    finally:
        os.unlink(handle.name)


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: str

    def line(self) -> str:
        return f"{self.requests_per_second:8.0f} req/s   p50 {self.p50_ms:6.2f} ms   p99 {self.p99_ms:6.2f} ms{self.errors}"


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, seconds: int = 20, threads: int = 2, connections: int = 16,
        headers: dict[str, str] | None = None) -> WrkResult:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: `make bench` installs Debian's wrk")
    header_args = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    finished = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", *header_args, url],
        check=True, capture_output=True, text=True,
    )
    output = finished.stdout
    try:
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
        p50 = _ms(re.search(r"^\s*50%\s+(\S+)", output, re.M).group(1))
        p99 = _ms(re.search(r"^\s*99%\s+(\S+)", output, re.M).group(1))
    except AttributeError:  # a report without the figures: show what wrk said
        raise RuntimeError(f"wrk report not understood for {url}:\n{output}{finished.stderr}") from None
    errors = ""
    match = re.search(r"(Socket errors:.*|Non-2xx or 3xx responses:.*)", output)
    if match:
        errors = "   (" + match.group(1).strip() + ")"
    return WrkResult(rps, p50, p99, errors)


def alternate(urls: dict[str, str], seconds: int, rounds: int = 2, **options) -> dict[str, WrkResult]:
    """wrk on each address (servers up together) in turns, ``rounds`` slices each, so
    a burst of load from elsewhere on the machine falls on all of them alike: req/s
    averaged, p50 and p99 the worst slice's."""
    slices: dict[str, list[WrkResult]] = {name: [] for name in urls}
    for _ in range(rounds):
        for name, url in urls.items():
            slices[name].append(wrk(url, max(1, seconds // rounds), **options))
    return {
        name: WrkResult(
            sum(result.requests_per_second for result in results) / len(results),
            max(result.p50_ms for result in results),
            max(result.p99_ms for result in results),
            "".join(dict.fromkeys(result.errors for result in results)),
        )
        for name, results in slices.items()
    }


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def first_visit_weight(browser, url: str) -> tuple[int, list[tuple[str, int]]]:
    """Bytes sent over the wire (compressed bodies) for a first visit with an empty cache."""
    context = browser.new_context()
    page = context.new_page()
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto(url, wait_until="networkidle")
    items = []
    for request in responses:
        sizes = request.sizes()
        items.append((request.url.replace(url.rstrip("/"), ""), sizes["responseBodySize"]))
    context.close()
    return sum(size for _, size in items), items
