"""The log's GOV.UK components, rendered with their macros far less often than they are shown.

A component (a filter group's checkboxes or date input, the sort select, the search box,
a button, an outcome tag, a response page's breadcrumbs) is a pure function of its parameters, and those change only
with the content version (which choices exist), the locale and what was chosen.
:class:`Fragments` keeps each rendering in a small LRU per worker process, keyed by the
parameters themselves, so the filter panel of an unfiltered log or a search costs one
lookup per component, not a few hundred macro calls. The FOI templates call
:func:`component` where they would call the macro, for the components whose parameters
repeat across pages (not, say, a response's own summary list).

Checkboxes are kept *unticked*: the ticks are put into the stored HTML afterwards
(``" checked"`` after the item's ``value``, exactly where the macro writes it), so every
selection of one group shares one rendering. When the macro's output does not hold the
item where expected, the group is rendered in full, so the page never differs from the
macro's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app
from markupsafe import Markup, escape

# How many rendered components a worker keeps (a checkbox group is about 6 KB, the
# details around one twice that, a date input about 2 KB): a few MB at most.
MAX_FRAGMENTS = 256

MACROS = {
    "checkboxes": ("govuk_frontend_jinja/components/checkboxes/macro.html", "govukCheckboxes"),
    "date": ("govuk_frontend_jinja/components/date-input/macro.html", "govukDateInput"),
    "select": ("govuk_frontend_jinja/components/select/macro.html", "govukSelect"),
    "input": ("govuk_frontend_jinja/components/input/macro.html", "govukInput"),
    "button": ("govuk_frontend_jinja/components/button/macro.html", "govukButton"),
    "details": ("govuk_frontend_jinja/components/details/macro.html", "govukDetails"),
    "tag": ("govuk_frontend_jinja/components/tag/macro.html", "govukTag"),
    "breadcrumbs": ("govuk_frontend_jinja/components/breadcrumbs/macro.html", "govukBreadcrumbs"),
    "inset-text": ("govuk_frontend_jinja/components/inset-text/macro.html", "govukInsetText"),
}


def frozen(value) -> object:
    """``value`` (parameters: dicts, lists, text, numbers) as a hashable key. Markup is
    told apart from text of the same characters, as the macros print them differently;
    a lazy string is its text in this request's locale (hashing one translates it)."""
    if isinstance(value, dict):
        return tuple(sorted((key, frozen(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(frozen(item) for item in value)
    if isinstance(value, Markup):
        return ("markup", str(value))
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


class Fragments:
    """A bounded LRU of rendered components: (macro, parameters) → Markup, and of the
    log's filter groups (see ``pages.filter_groups``)."""

    def __init__(self, size: int = MAX_FRAGMENTS):
        self.size = size
        self._stored: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def render(self, kind: str, params: dict) -> Markup:
        return self.remembered((kind, frozen(params)), lambda: call_macro(kind, params))

    def remembered(self, key: tuple, make: Callable[[], object]) -> object:
        """What is stored under ``key``, or ``make()``, stored. What is stored is shared
        by every request of the process: it is read, never changed."""
        with self._lock:
            found = self._stored.get(key)
            if found is not None:
                self._stored.move_to_end(key)
                return found
        made = make()
        with self._lock:
            self._stored[key] = made
            self._stored.move_to_end(key)
            while len(self._stored) > self.size:
                self._stored.popitem(last=False)
        return made

    def clear(self) -> None:
        with self._lock:
            self._stored.clear()

    def __len__(self) -> int:
        return len(self._stored)


def call_macro(kind: str, params: dict) -> Markup:
    path, name = MACROS[kind]
    return getattr(current_app.jinja_env.get_template(path).module, name)(params)


fragments = Fragments()


def checkboxes(params: dict) -> Markup:
    """``govukCheckboxes(params)``: the group rendered unticked (stored), then ticked."""
    items = params["items"]
    ticked = [item["value"] for item in items if item.get("checked")]
    unticked = {**params, "items": [{**item, "checked": False} for item in items]}
    html = str(fragments.render("checkboxes", unticked))
    for value in ticked:
        box = f' name="{escape(params["name"])}" type="checkbox" value="{escape(value)}">'
        if html.count(box) != 1:
            return call_macro("checkboxes", params)
        html = html.replace(box, box[:-1] + " checked>")
    return Markup(html)


def component(kind: str, params: dict) -> Markup:
    """The component ``kind`` (a key of :data:`MACROS`) for ``params``: what its GOV.UK
    macro returns."""
    if kind == "checkboxes":
        return checkboxes(params)
    return fragments.render(kind, params)
