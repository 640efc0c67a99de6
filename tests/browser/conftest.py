"""Browser tests. Their fixtures (``page``, ``no_js_page``, ``base_url``, ``live_app``) live in
``tests/browser/harness.py``, imported into ``tests/conftest.py`` so that
``tests/quality/`` shares the same live server and browser."""
