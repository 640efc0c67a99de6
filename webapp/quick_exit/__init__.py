"""Quick exit: the ``/leave`` endpoint (link and beacon) and its settings.

The browser side is ``static/src/js/quick-exit.js`` and ``templates/partials/quick_exit*.html``.
"""
