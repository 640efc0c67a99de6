"""The one Jinja set-up: where templates come from, what every template can use, and
names nobody defined failing loudly.

- Templates: the project's ``templates/`` folder, and the govuk-frontend-jinja macros
  under the ``govuk_frontend_jinja/`` prefix.
- ``{% do ... %}`` for statements (appending to a list) without ``{% set _ = ... %}``,
  which would hide gettext's ``_``.
- :class:`Undefined`: a name or attribute nobody defined raises, so a misspelt variable
  is an error in the tests, not a blank on the page.
- ``{% cache "name", key... %}...{% endcache %}`` (:class:`FragmentCache`): a part of the
  layout drawn once per key, language and mount point, then reused.
- :class:`Environment`: imports of macros (``{% from ... import ... %}``, which every
  GOV.UK macro does on each call) compare the globals' names as sets, not name by name.
- The filters and globals every template may use, registered from :data:`FILTERS` and
  :data:`GLOBALS`; ``htmlLang`` is the request's locale.
"""

from __future__ import annotations

import threading
from collections import ChainMap
from collections.abc import Callable

from flask import Flask
from flask.globals import _cv_request
from flask.templating import Environment as FlaskEnvironment
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader, StrictUndefined, nodes
from jinja2.ext import Extension
from jinja2.runtime import Undefined as LenientUndefined
from jinja2.utils import missing

from webapp import assets, config
from webapp.i18n import DEFAULT_LOCALE, current_locale, file_size, govuk_date

NO_CALLER = "No caller defined"  # Jinja's hint for a macro's missing caller

# Names left undefined on purpose, which stay empty and false:
# - the optional settings of govuk-frontend-jinja's page template (template.html), which
#   it tests with a bare ``{% if %}``, and the one the layout offers pages;
# - JavaScript's ``undefined`` and ``null``, which the GOV.UK macros (ported from
#   Nunjucks) compare values with.
# (Not globals set to None: every macro import compares the globals' names, so each
# global costs every render a little.)
OPTIONAL_NAMES = frozenset({
    "htmlClasses", "pageTitleLang", "opengraphImageUrl", "assetUrl", "cspNonce",
    "bodyClasses", "bodyAttributes", "headerClasses", "headerAttributes", "serviceName",
    "containerClasses", "containerAttributes", "mainClasses", "mainLang", "mainAttributes",
    "footerClasses", "footerAttributes",
    "meta_description",
    "undefined", "null",
})


class Undefined(StrictUndefined):
    """Strict about names and attributes, as :class:`jinja2.StrictUndefined`: printing,
    testing or comparing one raises ``UndefinedError``; only ``is defined`` is safe.

    The exceptions are empty and false, as in plain Jinja, because the GOV.UK macros
    and page template rely on them: a key a dict does not hold (``params.hint``: the
    macros test every optional parameter with a bare ``if``), the ``caller`` of a macro
    called without ``{% call %}``, and the names in :data:`OPTIONAL_NAMES`."""

    __slots__ = ()

    def _is_lenient(self) -> bool:
        if self._undefined_obj is missing:
            return self._undefined_name in OPTIONAL_NAMES or self._undefined_hint == NO_CALLER
        return isinstance(self._undefined_obj, dict)

    def _either(lenient, strict):  # builds the methods below, then is deleted
        def method(self, *args):
            return (lenient if self._is_lenient() else strict)(self, *args)
        return method

    __str__ = _either(LenientUndefined.__str__, StrictUndefined.__str__)
    __iter__ = _either(LenientUndefined.__iter__, StrictUndefined.__iter__)
    __len__ = _either(LenientUndefined.__len__, StrictUndefined.__len__)
    __bool__ = _either(LenientUndefined.__bool__, StrictUndefined.__bool__)
    __eq__ = _either(LenientUndefined.__eq__, StrictUndefined.__eq__)
    __ne__ = _either(LenientUndefined.__ne__, StrictUndefined.__ne__)
    __hash__ = _either(LenientUndefined.__hash__, StrictUndefined.__hash__)
    __contains__ = _either(lambda self, item: False, StrictUndefined.__contains__)
    del _either


class Globals(ChainMap):
    """A template's globals (its own over the environment's), as Jinja's ChainMap, with
    ``keys()`` as one set: importing a macro subtracts these names from the page's, and
    ChainMap's view tests each name against each map in Python (about 0.4 µs a name, some
    twenty names, on every import)."""

    def keys(self):
        return set().union(*self.maps)


class Environment(FlaskEnvironment):
    def make_globals(self, d):
        return Globals({} if d is None else d, self.globals)


# Fragments kept per app (a few per page kind, language and mount point); past this many
# the oldest goes first, so odd addresses (404s) cannot grow it.
MAX_FRAGMENTS = 512


class FragmentCache(Extension):
    """``{% cache "name", key... %}body{% endcache %}``: the body rendered once for
    (name, key..., language, mount point) and reused while the app runs. Python code
    keeps what it renders the same way with ``env.keep_fragment(key, render)``;
    ``env.forget_fragments()`` drops everything kept (the links changed).

    What is kept may depend only on what the key names, the language, the mount point
    (``url_for``) and settings fixed at start-up; with ``TEMPLATES_AUTO_RELOAD`` on
    (development) nothing is kept, so an edited template shows at once, nor outside a
    request."""

    tags = {"cache"}

    def __init__(self, environment):
        super().__init__(environment)
        fragments: dict = {}
        adding = threading.Lock()  # reads take no lock; adding and dropping do

        def keep_fragment(key: tuple, render: Callable[[], str]) -> str:
            context = _cv_request.get(None)  # the request, without the proxy's look-ups
            if environment.auto_reload or context is None:  # no mount point to key by
                return render()
            key = (*key, current_locale(), context.request.script_root)
            found = fragments.get(key)
            if found is None:
                found = render()
                with adding:
                    if key not in fragments and len(fragments) >= MAX_FRAGMENTS:
                        del fragments[next(iter(fragments))]
                    fragments[key] = found
            return found

        def forget_fragments() -> None:
            with adding:
                fragments.clear()

        environment.extend(fragments=fragments, keep_fragment=keep_fragment, forget_fragments=forget_fragments)

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        key = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            key.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        call = self.call_method("_fragment", [nodes.Tuple(key, "load")])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _fragment(self, key: tuple, caller) -> str:
        return self.environment.keep_fragment(key, caller)


FILTERS = {
    "file_size": file_size,
    "govuk_date": govuk_date,
}

GLOBALS = {
    "asset_url": assets.asset_url,
}


def html_lang() -> dict:
    """``htmlLang`` for the page template: the language this request is served in."""
    locale = current_locale()
    return {"htmlLang": str(locale).replace("_", "-") if locale else DEFAULT_LOCALE}


def init_app(app: Flask) -> None:
    app.jinja_environment = Environment  # before app.jinja_env first makes one
    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(config.PROJECT_ROOT / "templates"),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ])
    env = app.jinja_env
    env.undefined = Undefined
    env.add_extension("jinja2.ext.do")
    env.add_extension(FragmentCache)
    env.filters.update(FILTERS)
    env.globals.update(GLOBALS)
    app.context_processor(html_lang)
