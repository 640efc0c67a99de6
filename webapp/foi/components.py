"""The log's GOV.UK components, rendered with their macros far less often than they are shown.

A component (a filter group's checkboxes or date input, the sort select, the search box,
a button, an outcome tag, a response page's breadcrumbs) is a pure function of its
parameters, and those change only with the content version (which choices exist), the
locale and what was chosen. :func:`component` keeps each rendering in the app's
fragment store (:func:`webapp.components.kept`), so the filter panel of an unfiltered
log or a search costs one lookup per component, not a few hundred macro calls. The FOI
templates call it where they would call the macro, for the components whose parameters
repeat across pages (not, say, a response's own summary list).

Checkboxes are kept *unticked*: the ticks are put into the stored HTML afterwards
(``" checked"`` after the item's ``value``, exactly where the macro writes it), so every
selection of one group shares one rendering. When the macro's output does not hold the
item where expected, the group is rendered in full, so the page never differs from the
macro's.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from webapp import components


def checkboxes(params: dict) -> Markup:
    """``govukCheckboxes(params)``: the group rendered unticked (kept), then ticked."""
    items = params["items"]
    ticked = [item["value"] for item in items if item.get("checked")]
    unticked = {**params, "items": [{**item, "checked": False} for item in items]}
    html = str(components.kept("checkboxes", unticked))
    for value in ticked:
        box = f' name="{escape(params["name"])}" type="checkbox" value="{escape(value)}">'
        if html.count(box) != 1:
            return components.render("checkboxes", params)
        html = html.replace(box, box[:-1] + " checked>")
    return Markup(html)


def component(kind: str, params: dict) -> Markup:
    """The component ``kind`` (a Design System component's name) for ``params``: what
    its GOV.UK macro returns."""
    if kind == "checkboxes":
        return checkboxes(params)
    return components.kept(kind, params)
