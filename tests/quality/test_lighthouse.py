"""Gate: Lighthouse 12.2.3 (mobile preset) scores accessibility, best practices and SEO
at 100 on the pages in ``tests.states.LIGHTHOUSE_STATES``; performance is printed, not
gated (the machine is shared, so timings vary).

All pages are audited in one Node process and one Chromium (``lighthouse.mjs``), against
the same live server as the other gates. A page whose route has not landed yet is
skipped with the reason printed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.harness import CHROMIUM, watch
from tests.quality.conftest import REPORTED
from tests.states import lighthouse_states, resolve
from webapp.config import PROJECT_ROOT

pytestmark = pytest.mark.browser

RUNNER = PROJECT_ROOT / "tests" / "quality" / "lighthouse.mjs"
GATED = ("accessibility", "best-practices", "seo")
STATES = lighthouse_states()


def run_lighthouse(urls: list[str]) -> dict[str, dict]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: the site's assets need Node 20")
    if not urls:
        return {}
    result = subprocess.run(
        [node, str(RUNNER), *urls], capture_output=True, text=True, timeout=120 * len(urls),
        env={**os.environ, "CHROME_PATH": CHROMIUM}, cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, f"lighthouse failed:\n{result.stderr[-3000:]}"
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return {report["url"]: report for report in reports}


BAD_PAGE = """<!DOCTYPE html><html><head><title>x</title></head>
<body><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><a href="javascript:void(0)">go</a>
<p style="color:#ccc;background:#fff">faint</p></body></html>"""


KNOWN_BAD = "known-bad page"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serving(folder):
    """A plain static server for the known-bad page (the live app cannot grow routes)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def audited(browser, base_url, site, tmp_path_factory):
    """Every present page audited once, with a known-bad page in the same run so the gate
    is seen to fail: state name -> report, or the reason it was skipped."""
    context = browser.new_context(base_url=base_url)
    page = watch(context.new_page(), base_url)
    urls, skipped = {}, {}
    for state in STATES:
        try:
            urls[state.name] = base_url + resolve(state, site, page)
        except pytest.skip.Exception as reason:
            skipped[state.name] = str(reason)
    context.close()
    folder = tmp_path_factory.mktemp("lighthouse")
    (folder / "index.html").write_text(BAD_PAGE, "utf-8")
    with serving(folder) as bad_url:
        reports = run_lighthouse([*urls.values(), bad_url])
    bad_report = reports[bad_url]
    REPORTED.append("Lighthouse (mobile): performance (not gated) / accessibility / best practices / SEO")
    for name, url in urls.items():
        scores = reports[url]["categories"]
        REPORTED.append(f"  {name:<16} {scores['performance']} / {scores['accessibility']} / "
                        f"{scores['best-practices']} / {scores['seo']}")
    return {name: reports[url] for name, url in urls.items()} | skipped | {KNOWN_BAD: bad_report}


@pytest.mark.parametrize("state", STATES, ids=str)
def test_lighthouse_scores_100(audited, state):
    report = audited[state.name]
    if isinstance(report, str):
        pytest.skip(report)
    assert report["error"] is None, report["error"]
    below = {
        category: report["failing"][category]
        for category in GATED if report["categories"][category] != 100
    }
    assert below == {}, f"Lighthouse below 100 on {state.name}: {json.dumps(below, indent=2)}"


def test_lighthouse_finds_a_bad_page(audited):
    """The gate can fail: a page without lang, alt text, a description or contrast scores
    below 100 on accessibility and SEO."""
    report = audited[KNOWN_BAD]
    assert report["categories"]["accessibility"] < 100
    assert report["categories"]["seo"] < 100
    assert any(line.startswith("image-alt") for line in report["failing"]["accessibility"])
