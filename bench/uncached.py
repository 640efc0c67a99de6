"""Every page rendered on a miss: server CPU per request with the page cache off.

Each page is served by gunicorn with the shipped configuration and
``PAGE_CACHE_ENTRIES=0``, so every request renders; wrk drives it, and the CPU time
(user + system) the gunicorn processes used is divided by the requests wrk completed.
The ceiling (``bench.ceiling``: the same gunicorn configuration replaying that page's
stored bytes) is measured the same way in the same run, so each page's figure is also
given as a multiple of the ceiling's CPU per request, which holds on any machine.

Targets (CPU per request, compression included; milliseconds on the reference machine,
whose ceiling costs ``REFERENCE_CEILING_MS``): scaled by this run's ceiling against the
reference, so a slower machine gets a proportionally larger allowance.

An anchor, another GOV.UK Frontend Flask app, can be measured in the same run beside
the home and cookies pages: ``BENCH_ANCHOR`` names a command that serves it in the
foreground on loopback at the port given as its one argument, under gunicorn (stopped
with SIGTERM); ``BENCH_ANCHOR_PAGES`` its pages as ``label=path`` pairs, comma
separated (``home=/,cookies=/cookies`` unless set). Each anchor page gets the same
warm-up and the same wrk run, and is printed as a multiple of the ceiling and of ours.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import time
from urllib.parse import urlsplit

from bench.feedback import server_cpu_by_process, server_cpu_seconds, server_workers
from bench.harness import BIN, ROOT, SERVER, bench_env, capture, ceiling, free_port, gunicorn, wait_for

# The ceiling's CPU per request under the shipped gunicorn configuration (gevent) on
# the 2-core machine kind the targets are set for, measured 2026-11-30.
REFERENCE_CEILING_MS = 0.13

# (label, path, target ms of CPU per request on the reference machine)
PAGES = [
    ("home", "/", 2.0),
    ("response", "/foi/01.FOI.23.031828", 3.0),
    ("log", "/foi", 6.0),
    ("search", "/foi?q=police", 6.0),
    ("cookies", "/cookies", 3.0),
    ("feedback", "/feedback", 3.0),
]
ACCEPT = {"Accept-Encoding": "br, gzip"}
# Warm-up rounds of wrk (1 s each) before a page is measured, at most; and the CPU a
# worker must have used in them to count as warm (a dozen renders or more).
WARM_UP_ROUNDS = 5
WARM_CPU_SECONDS = 0.05
# The warm-up is over when the server's processes use less than this much CPU in a
# SETTLE_SECONDS interval: a request still in flight (wrk stops waiting; the worker does
# not) would otherwise be drawn during the measured run, and decide where its
# connections land.
QUIET_CPU_SECONDS = 0.005
SETTLE_SECONDS = 0.2
SETTLE_LIMIT_SECONDS = 30


def wrk_requests(url: str, seconds: int) -> tuple[int, str]:
    """Requests completed by wrk (-t2 -c16, brotli accepted) and any error line."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: `make bench` installs Debian's wrk")
    finished = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "-H", "Accept-Encoding: br, gzip", url],
        check=True, capture_output=True, text=True,
    )
    match = re.search(r"(\d+) requests in", finished.stdout)
    if not match:
        raise RuntimeError(f"wrk report not understood for {url}:\n{finished.stdout}{finished.stderr}")
    errors = re.search(r"(Socket errors:.*|Non-2xx or 3xx responses:.*)", finished.stdout)
    return int(match.group(1)), errors.group(1).strip() if errors else ""


def warm_up(url: str) -> None:
    """wrk on ``url`` for a second, again until every worker has served it. A worker's
    first request for a page compiles its templates and draws the parts it keeps; a
    visitor pays that once per worker start, and the measured run must not. Which worker
    accepts a connection is the kernel's choice, so each worker's own CPU time is the
    check, never the hope that one second of wrk reached both."""
    netloc = urlsplit(url).netloc
    cold = server_workers(netloc)
    for _ in range(WARM_UP_ROUNDS):
        before = server_cpu_by_process(netloc)
        wrk_requests(url, 1)
        after = server_cpu_by_process(netloc)
        cold = {pid for pid in cold if after.get(pid, 0) - before.get(pid, 0) < WARM_CPU_SECONDS}
        if not cold:
            settle(netloc)
            return
    raise RuntimeError(f"warm-up: worker(s) {sorted(cold)} served {url} too little in {WARM_UP_ROUNDS} s of wrk")


def settle(netloc: str) -> None:
    """Wait until the server's processes are quiet: what the warm-up left in flight has
    been answered (a worker's first requests can take a second or more, long after wrk
    has stopped waiting for them)."""
    deadline = time.monotonic() + SETTLE_LIMIT_SECONDS
    before = server_cpu_seconds(netloc)
    while time.monotonic() < deadline:
        time.sleep(SETTLE_SECONDS)
        now = server_cpu_seconds(netloc)
        if now - before < QUIET_CPU_SECONDS:
            return
        before = now
    raise RuntimeError(f"warm-up: the server at {netloc} was still busy after {SETTLE_LIMIT_SECONDS} s")


def cpu_per_request(url: str, seconds: int) -> tuple[float, str]:
    netloc = urlsplit(url).netloc
    before = server_cpu_seconds(netloc)
    requests, errors = wrk_requests(url, seconds)
    used = server_cpu_seconds(netloc) - before
    return used * 1000 / max(requests, 1), errors


def anchor_pages() -> dict[str, str]:
    """The anchor's pages by the label of ours they stand beside (``BENCH_ANCHOR_PAGES``)."""
    pairs = os.environ.get("BENCH_ANCHOR_PAGES", "home=/,cookies=/cookies")
    return dict(pair.strip().split("=", 1) for pair in pairs.split(",") if pair.strip())


@contextlib.contextmanager
def anchor():
    """The anchor served by ``BENCH_ANCHOR`` on a free port (its address), or None."""
    command = os.environ.get("BENCH_ANCHOR")
    if not command:
        yield None
        return
    port = free_port()
    process = subprocess.Popen([*shlex.split(command), str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/", timeout=60)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def run(seconds: int = 20) -> bool:
    env = bench_env(PAGE_CACHE_ENTRIES="0")
    for command in (["db", "upgrade"], ["foi", "import"]):
        subprocess.run([str(BIN / "flask"), "--app", "webapp:create_app", *command],
                       cwd=ROOT, env=env, check=True, capture_output=True)
    per_page = max(2, seconds // 4)
    print(f"Pages on a miss (PAGE_CACHE_ENTRIES=0), {SERVER}, wrk -t2 -c16 {per_page} s each, "
          "CPU per request of the server processes")
    met = True
    pages = anchor_pages()
    with gunicorn("webapp:create_app()", env) as base, anchor() as anchor_base:
        if anchor_base is None:
            print("  (no anchor: set BENCH_ANCHOR to a command serving another app at the port it is given, "
                  "to measure it beside the home and cookies pages)")
        for label, path, target_ms in PAGES:
            url = base + path
            stored = capture(url)
            with ceiling(stored, env) as ceiling_url:
                wrk_requests(ceiling_url + "/", 1)  # warm-up
                ceiling_ms, _ = cpu_per_request(ceiling_url + "/", per_page)
            warm_up(url)
            page_ms, errors = cpu_per_request(url, per_page)
            allowed = target_ms * ceiling_ms / REFERENCE_CEILING_MS
            ok = page_ms <= allowed and not errors
            met &= ok
            print(f"  {label:<9} {path:<24} {page_ms:6.2f} ms = {page_ms / ceiling_ms:5.1f} × the ceiling "
                  f"({ceiling_ms:.2f} ms)   target ≤ {target_ms / REFERENCE_CEILING_MS:4.1f} × "
                  f"({target_ms:.0f} ms on the reference machine)   {'ok' if ok else 'MISSED'}"
                  f"{'   ' + errors if errors else ''}")
            if anchor_base is not None and label in pages:
                anchor_url = anchor_base + pages[label]
                warm_up(anchor_url)
                anchor_ms, anchor_errors = cpu_per_request(anchor_url, per_page)
                print(f"  {'':<9} {'anchor ' + pages[label]:<24} {anchor_ms:6.2f} ms = "
                      f"{anchor_ms / ceiling_ms:5.1f} × the ceiling; ours costs "
                      f"{page_ms / anchor_ms:.2f} × the anchor's{'   ' + anchor_errors if anchor_errors else ''}")
    print(f"  load average now {os.getloadavg()[0]:.1f}")
    return met

