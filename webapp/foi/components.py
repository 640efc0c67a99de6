"""The log's GOV.UK components, rendered with their macros far less often than they are shown.

A component (a filter group's checkboxes or date input, the sort select, the search box,
a button, an outcome tag, the pagination, a response page's breadcrumbs) is a pure function of its
parameters, and those change only with the content version (which choices exist), the
locale and what was chosen. :func:`component` keeps each rendering in the app's
fragment store (:func:`webapp.components.kept`), so the filter panel of an unfiltered
log or a search costs one lookup per component, not a few hundred macro calls. The FOI
templates call it where they would call the macro, for the components whose parameters
repeat across pages (not, say, a response's own summary list).

The pagination is kept with its links and page numbers as placeholders, written in
afterwards (:func:`pagination`), so a page of one search shares the rendering of a page
of another with the same shape.

Checkboxes are kept *unticked*: the ticks are put into the stored HTML afterwards
(``" checked"`` after the item's ``value``, exactly where the macro writes it), so every
selection of one group shares one rendering. Text inputs and date inputs are kept
*blank*: what was typed is written into each field's ``value=""``, escaped as the macro
escapes it, so nothing a visitor typed is ever kept and every search shares one search
box. When the macro's output does not hold the item or field where expected, the
component is rendered in full, so the page never differs from the macro's.
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


def filled(kind: str, params: dict, typed: dict[str, str]) -> Markup:
    """The component kept with its fields blank (``typed``: field name → value, each
    field an item of ``params`` whose value is blanked by ``blank``), then each value
    written into its field's ``value=""``. A value that breaks a line (a carriage
    return, a line separator...) is rendered in full: a macro that indents a field's
    HTML indents inside it."""
    if any(value.splitlines() not in ([], [value]) for value in typed.values()):
        return components.render(kind, params)
    html = str(components.kept(kind, blank(kind, params)))
    for name, value in typed.items():
        if not value:
            continue
        start = html.find(f' name="{escape(name)}"')
        end = html.find(">", start)
        tag = html[start:end]
        if start < 0 or html.count(f' name="{escape(name)}"') != 1 or tag.count(' value=""') != 1:
            return components.render(kind, params)
        html = html[:start] + tag.replace(' value=""', f' value="{escape(value)}"') + html[end:]
    return Markup(html)


def blank(kind: str, params: dict) -> dict:
    if kind == "input":
        return {**params, "value": ""}
    return {**params, "items": [{**item, "value": ""} for item in params["items"]]}


def typed_values(kind: str, params: dict) -> dict[str, str] | None:
    """The values typed into an input's or a date input's fields, by field name (None:
    another kind of component, or a value that is not plain text)."""
    if kind == "input" and isinstance(params.get("value", ""), str):
        return {params["name"]: params.get("value", "")}
    if kind == "date-input" and all(isinstance(item.get("value", ""), str) for item in params["items"]):
        prefix = f'{params["namePrefix"]}-' if params.get("namePrefix") else ""
        return {prefix + item["name"]: item.get("value", "") for item in params["items"]}
    return None


def pagination(params: dict) -> Markup:
    """``govukPagination(params)``: kept with every link and page number a placeholder,
    so the searches whose pages have the same shape (which item is current, where the
    gaps are, whether there is a previous and a next page) share one rendering; then
    each link and number written in, escaped as the macro escapes it. A placeholder not
    found as often as the macro writes it (a link once, a number twice: its text and
    its ``aria-label``) renders the whole component."""
    values: dict[str, object] = {}
    expected: dict[str, int] = {}

    def slot(value: object, times: int = 1) -> str:
        token = f"app-slot-{len(values)}-"  # the trailing "-": no token begins another
        values[token], expected[token] = value, times
        return token

    def link(item: dict | None) -> dict | None:
        return {**item, "href": slot(item["href"])} if item and item.get("href") else item

    shape = {
        **params,
        "previous": link(params.get("previous")),
        "next": link(params.get("next")),
        "items": [{**item, "number": slot(item["number"], times=2), "href": slot(item["href"])}
                  if "number" in item and "href" in item and set(item) <= {"number", "href", "current"} else item
                  for item in params.get("items", [])],
    }
    html = str(components.kept("pagination", shape))
    for token, value in values.items():
        if html.count(token) != expected[token]:
            return components.render("pagination", params)
        html = html.replace(token, str(escape(value)))
    return Markup(html)


def component(kind: str, params: dict) -> Markup:
    """The component ``kind`` (a Design System component's name) for ``params``: what
    its GOV.UK macro returns."""
    if kind == "checkboxes":
        return checkboxes(params)
    if kind == "pagination":
        return pagination(params)
    typed = typed_values(kind, params)
    if typed is not None:
        return filled(kind, params, typed)
    return components.kept(kind, params)
