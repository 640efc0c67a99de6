"""Browser tests. Their fixtures (``page``, ``no_js_page``, ``base_url``, ``live_app``) live in
``tests/browser/harness.py`` and are imported into ``tests/conftest.py``, so that
``tests/quality/`` shares the same live server and browser.

The harness's plain helpers are re-exported here for tests that import them from this
module (fixtures are not, so they are registered once)."""

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, LOAD_FAILED, LiveServer, origin_of, watch  # noqa: F401
