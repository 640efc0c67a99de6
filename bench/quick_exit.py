"""How fast the quick exit gets a person off the site, against GOV.UK's Exit this page.

In Chromium, from the trigger key event to
  (a) the cover being shown: the start of the first frame that contains it (when that
      frame has been painted is printed too), and
  (b) the request for the exit address starting,
over RUNS runs each, interleaved, in the same browser and the same run:

- this site: the real app under gunicorn, one press of Escape;
- GOV.UK: govuk-frontend 6.3.0's ExitThisPage, bundled from node_modules into a
  bench-only page that this benchmark serves itself, Shift pressed three times.

The exit address is intercepted (``page.route``) and answered only once the page has
reported, so nothing touches the network. Timings are taken in the page against the key
event's own ``timeStamp`` (an init script records them, the page clock) and, for (b),
from the browser's own record of when the request for the exit address started
(``request.timing``; the page's ``timeOrigin`` is on the same wall clock). Seeing the
request from the Python driver adds Playwright's event delivery, which on a busy machine
swamps what is measured, so it is not used.

Both are measured with the last key released at once (as a test driver presses) and held
for 80 ms (as a person presses): GOV.UK acts on keyup, this site on keydown.
``QUICK_EXIT_BENCH_RUNS`` changes the number of runs (default 50).

It also measures Chromium's own share of (b): ``location.replace`` called directly, with
no handler, to the request starting; no page can start its request sooner than that.

Targets: (a) p50 and max within one frame (16 ms), judged on the frame's own timestamp
(the time the frame that shows the cover began, as ``requestAnimationFrame`` gives it) and,
strictly, on when that frame's main-thread work started; (b) this site's median at most
half of GOV.UK's.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.harness import ROOT, bench_env, chromium, gunicorn

RUNS = int(os.environ.get("QUICK_EXIT_BENCH_RUNS", "50"))
FRAME_MS = 16.0
EXIT_URL = "https://www.bbc.co.uk/weather"
EXIT_PAGE = "<!DOCTYPE html><html lang='en'><title>Weather</title><h1>Weather</h1></html>"

# Recorded in the page, before any of its own scripts run.
PROBE = """(() => {
  const KEY = %(key)s, COVER = %(cover)s, marks = { timeOrigin: performance.timeOrigin };
  const report = () => console.log('quick-exit-bench ' + JSON.stringify(marks));
  addEventListener('keydown', (e) => { if (e.key === KEY && !marks.navigate) marks.key = e.timeStamp; }, true);
  navigation.addEventListener('navigate', () => { if (!marks.navigate) marks.navigate = performance.now(); });
  new MutationObserver(() => {
    if (marks.coverInserted || !document.querySelector(COVER)) return;
    marks.coverInserted = performance.now();
    // The frame that shows the cover, then the moment after it was painted.
    requestAnimationFrame((frameTime) => {
      marks.frame = performance.now();
      marks.frameTime = frameTime;  // the time the frame began, by the spec
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { marks.painted = performance.now(); report(); };
      channel.port2.postMessage(0);
    });
  }).observe(document, { childList: true, subtree: true });
})()"""

GOVUK_PAGE = """<!DOCTYPE html>
<html lang="en" class="govuk-template">
<head><meta charset="utf-8"><title>Exit this page – bench</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/govuk-frontend.min.css"></head>
<body class="govuk-template__body">
<script>document.body.className += ' js-enabled govuk-frontend-supported';</script>
<a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link">Skip to main content</a>
<div class="govuk-width-container">
<div class="govuk-exit-this-page" data-module="govuk-exit-this-page">
  <a href="%(exit)s" role="button" draggable="false"
     class="govuk-button govuk-button--warning govuk-exit-this-page__button govuk-js-exit-this-page-button"
     data-module="govuk-button" rel="nofollow noreferrer">
    <span class="govuk-visually-hidden">Emergency</span> Exit this page
  </a>
</div>
<main class="govuk-main-wrapper" id="main-content">
<h1 class="govuk-heading-xl">Freedom of information responses</h1>
<p class="govuk-body-l">Read the answers we have given to requests made under the Freedom of Information Act 2000.</p>
<p class="govuk-body">Anyone can ask a public authority for the information it holds.</p>
</main></div>
<script type="module" src="/govuk-exit-this-page.js"></script>
</body></html>
""" % {"exit": EXIT_URL}

GOVUK_ENTRY = """import { Button, ExitThisPage, SkipLink, createAll } from 'govuk-frontend'
createAll(Button)
createAll(SkipLink)
createAll(ExitThisPage)
"""


def build_govuk_page(directory: Path) -> None:
    """The bench-only GOV.UK page: ExitThisPage bundled from node_modules by esbuild."""
    entry = directory / "entry.mjs"
    entry.write_text(GOVUK_ENTRY, "utf-8")
    subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "esbuild"), str(entry), "--bundle", "--minify",
         "--format=esm", f"--outfile={directory / 'govuk-exit-this-page.js'}", "--log-level=warning"],
        check=True, cwd=ROOT, env={**os.environ, "NODE_PATH": str(ROOT / "node_modules")},
    )
    css = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk" / "govuk-frontend.min.css"
    (directory / "govuk-frontend.min.css").write_bytes(css.read_bytes())
    (directory / "index.html").write_text(GOVUK_PAGE, "utf-8")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D401 - keep the bench output to the figures
        pass


def serve(directory: Path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def exit_request_started(page, routes: list, reported, failure: str) -> float:
    """Wait for the held exit request (and ``reported()``), answer it, close the page, and
    return when the browser started the request (its own wall clock, as is the page's
    ``timeOrigin``)."""
    deadline = time.monotonic() + 10
    while (not routes or not reported()) and time.monotonic() < deadline:
        page.wait_for_timeout(5)
    for route in routes:
        try:
            route.fulfill(status=200, content_type="text/html", body=EXIT_PAGE)
        except Exception:  # noqa: BLE001 - an earlier navigation replaced by a later one
            pass
    if not routes or not reported():
        raise RuntimeError(failure)
    page.wait_for_url(EXIT_URL)
    started = routes[0].request.timing["startTime"]
    page.close()
    return started


def measure_once(context, url: str, key: str, presses: int, cover: str, hold_ms: int = 0) -> dict:
    page = context.new_page()
    page.add_init_script(PROBE % {"key": json.dumps(key), "cover": json.dumps(cover)})
    reports: list[dict] = []
    routes = []
    page.on("console", lambda message: message.text.startswith("quick-exit-bench ")
            and reports.append(json.loads(message.text.split(" ", 1)[1])))
    page.route(f"{EXIT_URL}**", lambda route: routes.append(route))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(150)  # settle: module scripts initialised, first paint done
    for _ in range(presses - 1):
        page.keyboard.press(key)
        page.wait_for_timeout(50)
    # The last press: released at once (as a test driver does), or held for hold_ms as a
    # person's finger is. A trigger on keydown is unaffected; one on keyup waits for it.
    page.keyboard.down(key)
    if hold_ms:
        time.sleep(hold_ms / 1000)
    page.keyboard.up(key)
    started = exit_request_started(page, routes, lambda: bool(reports), f"no exit measured for {url}")
    marks = reports[0]
    return {
        "cover": marks["painted"] - marks["key"],
        "cover_frame": marks["frame"] - marks["key"],
        "frame_begun": marks["frameTime"] - marks["key"],
        "navigate": marks["navigate"] - marks["key"],
        "request": started - (marks["timeOrigin"] + marks["key"]),
    }


def navigation_floor(context, url: str) -> float:
    """Chromium's own share: ``location.replace(EXIT_URL)`` called directly on the page,
    no handler, no cover, to the browser starting the request. No page can go faster."""
    page = context.new_page()
    routes = []
    page.route(f"{EXIT_URL}**", lambda route: routes.append(route))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(150)
    called = page.evaluate(
        "(exit) => { const now = performance.timeOrigin + performance.now(); location.replace(exit); return now }",
        EXIT_URL)
    return exit_request_started(page, routes, lambda: True, "no exit request for the navigation floor") - called


def summary(values: list[float]) -> str:
    return f"p50 {statistics.median(values):6.2f} ms   max {max(values):6.2f} ms"


SITE = ("this site, Escape", "/", "Escape", 1, "[data-quick-exit-cover]")
GOVUK = ("GOV.UK Exit this page, Shift×3", "/", "Shift", 3, ".govuk-exit-this-page-overlay")
HOLD_MS = 80  # a typical time a key is held down by a person


def run(seconds: int = 20) -> bool:  # noqa: ARG001 - runs a fixed number of exits
    env = bench_env()
    variants = [(name, hold) for hold in (0, HOLD_MS) for name in ("site", "govuk")]
    results: dict[tuple[str, int], list[dict]] = {variant: [] for variant in variants}
    floor: list[float] = []
    with tempfile.TemporaryDirectory(prefix="foi-bench-govuk-") as directory, \
            gunicorn("webapp:create_app()", env) as site:
        build_govuk_page(Path(directory))
        server, govuk = serve(Path(directory))
        bases = {"site": site, "govuk": govuk}
        specs = {"site": SITE, "govuk": GOVUK}
        try:
            with chromium() as browser:
                context = browser.new_context()

                def once(name: str, hold: int) -> dict:
                    _, path, key, presses, cover = specs[name]
                    return measure_once(context, bases[name] + path, key, presses, cover, hold)

                once("site", 0), once("govuk", 0)  # warm-up: asset caches filled, as for a returning visitor
                for _ in range(RUNS):
                    for name, hold in variants:
                        results[(name, hold)].append(once(name, hold))
                    floor.append(navigation_floor(context, site + "/"))
                context.close()
        finally:
            server.shutdown()

    def column(name: str, hold: int, field: str) -> list[float]:
        return [result[field] for result in results[(name, hold)]]

    print(f"Quick exit, Chromium, {RUNS} runs each, interleaved; ms from the trigger key's keydown event")
    for hold in (0, HOLD_MS):
        print(f"  last key released {'at once (test driver)' if not hold else f'after {hold} ms (a person)'}")
        for field, label in [
            ("frame_begun", "(a) that frame began (rAF timestamp)"),
            ("cover_frame", "    its main-thread work starts"),
            ("cover", "    that frame painted"),
            ("navigate", "    exit navigation starts (in page)"),
            ("request", "(b) exit request starts (browser)"),
        ]:
            print(f"    {label}")
            for name in ("site", "govuk"):
                print(f"      {specs[name][0]:32s} {summary(column(name, hold, field))}")

    # (a) "In the same frame": the frame that shows the cover began (its rAF timestamp, the
    # spec's frame time) within one frame of the key; strictly, also its main-thread work.
    begun = column("site", 0, "frame_begun") + column("site", HOLD_MS, "frame_begun")
    begun_ok = max(begun) <= FRAME_MS
    print(f"  target (a) the cover's frame began within {FRAME_MS:.0f} ms of the key (rAF timestamp), "
          f"p50 {statistics.median(begun):.2f} and max {max(begun):.2f} ms: {'met' if begun_ok else 'MISSED'}")
    cover = column("site", 0, "cover_frame") + column("site", HOLD_MS, "cover_frame")
    cover_ok = begun_ok and statistics.median(cover) <= FRAME_MS and max(cover) <= FRAME_MS
    print(f"  target (a, strict) that frame's main-thread work started within {FRAME_MS:.0f} ms of the key, "
          f"p50 {statistics.median(cover):.2f} and max {max(cover):.2f} ms: {'met' if cover_ok else 'MISSED'}")
    print(f"  Chromium's own floor: location.replace() to the exit request starting, no handler: "
          f"{summary(floor)}   min {min(floor):6.2f} ms")
    request_ok = True
    for hold in (0, HOLD_MS):
        ours = statistics.median(column("site", hold, "request"))
        theirs = statistics.median(column("govuk", hold, "request"))
        met = ours <= theirs / 2
        request_ok = request_ok and met
        print(f"  target (b) request median ≤ half of GOV.UK's, key {'released at once' if not hold else f'held {hold} ms'}: "
              f"{ours:.2f} vs {theirs:.2f} / 2 = {theirs / 2:.2f} ms: {'met' if met else 'MISSED'}")
    return cover_ok and request_ok
