"""Gate: every page state can be used with a keyboard alone.

Pressing Tab from the top of the page must reach every interactive element, each once, in
the order of the document, which must also be the order a sighted reader sees (nothing
jumps back up the page or leftwards along a line); each must show a visible focus
indicator (its computed outline, box shadow, background, colour, border or underline
differs from its unfocused look); and after the last element Tab must leave the page
(no focus trap) and Shift+Tab must come back to it.
"""

from __future__ import annotations

import pytest

from tests.states import all_states, open_state

pytestmark = pytest.mark.browser

STATES = all_states()
DESKTOP = {"width": 1280, "height": 800}

# Collects, in document order, what Tab should reach: focusable, not disabled, not
# taken out of the order (tabindex -1), rendered and visible. A radio group is one stop:
# its checked radio, or its first. Each element's unfocused look is recorded here,
# before anything has focus.
COLLECT = """() => {
  const selector = 'a[href], area[href], button, input:not([type=hidden]), select, textarea, ' +
                   'summary, iframe, [tabindex], [contenteditable=""], [contenteditable=true]';
  const radioGroups = new Set();
  const targets = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.tabIndex < 0 || el.disabled || el.closest('[inert]')) continue;
    if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: false })) continue;
    if (el.type === 'radio') {
      const key = `${el.form ? 'form' : 'doc'}:${el.name}`;
      const group = [...document.querySelectorAll(`input[type=radio][name="${CSS.escape(el.name)}"]`)]
        .filter(radio => radio.form === el.form);
      const stop = group.find(radio => radio.checked) || group[0];
      if (el !== stop || radioGroups.has(key)) continue;
      radioGroups.add(key);
    }
    targets.push(el);
  }
  window.__keyboardTargets = targets;
  window.__unfocusedLooks = targets.map(el => window.__look(el));
  return targets.map(el => el.outerHTML.slice(0, 120));
}"""

LOOK = """() => {
  window.__look = el => {
    const s = getComputedStyle(el);
    return {
      outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
      boxShadow: s.boxShadow,
      background: s.backgroundColor,
      color: s.color,
      border: `${s.borderBottomStyle} ${s.borderBottomWidth} ${s.borderBottomColor}`,
      underline: `${s.textDecorationLine} ${s.textDecorationThickness}`,
    };
  };
}"""

# Where focus is now: the index of the focused target (-1: something else has focus,
# null: nothing in the page has), what visibly changed, and its box on the page.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return { index: null };
  const index = window.__keyboardTargets.indexOf(el);
  if (index < 0) return { index: -1, html: el.outerHTML.slice(0, 120) };
  const before = window.__unfocusedLooks[index];
  const now = window.__look(el);
  const changed = Object.keys(now).filter(key => now[key] !== before[key]);
  const r = el.getBoundingClientRect();
  const position = getComputedStyle(el).position;
  return { index, changed, fixed: position === 'fixed' || position === 'sticky',
           box: { left: r.left, right: r.right, top: r.top + scrollY, bottom: r.bottom + scrollY } };
}"""


def out_of_visual_order(a: dict, b: dict) -> bool:
    """``b`` comes after ``a`` in the tab order but a reader of English would meet it
    first: wholly above ``a`` and not in a column to its right (moving from the foot of
    one column to the top of the next is reading order), or on the same line wholly to
    its left."""
    above = b["bottom"] <= a["top"] + 1
    next_column = b["left"] >= a["right"] - 1
    same_line = b["top"] < a["bottom"] and a["top"] < b["bottom"]
    left = b["right"] <= a["left"] + 1
    return (above and not next_column) or (same_line and left)


# Start from the top of the document whatever the state left focused (an error summary
# or a confirmation may have taken focus): focus an empty, unfocusable-by-Tab marker put
# first in <body>, so the next Tab goes to the first element in the order.
FROM_THE_TOP = """() => {
  const marker = document.createElement('div');
  marker.tabIndex = -1;
  document.body.prepend(marker);
  marker.focus();
}"""


def tab_through(page) -> tuple[list[str], list[str]]:
    """Tab through the page; return the targets and every problem found."""
    page.evaluate(FROM_THE_TOP)
    page.evaluate(LOOK)
    targets = page.evaluate(COLLECT)
    problems, reached, last_box = [], [], None
    for _ in range(len(targets) + 3):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUSED)
        if focus["index"] is None:
            break
        if focus["index"] == -1:
            problems.append(f"Tab reached something not expected: {focus['html']}")
            continue
        index = focus["index"]
        reached.append(index)
        if not focus["changed"]:
            problems.append(f"no visible focus indicator on {targets[index]}")
        if not focus["fixed"]:
            if last_box and out_of_visual_order(last_box, focus["box"]):
                problems.append(f"focus jumps back up or left to {targets[index]}")
            last_box = focus["box"]
    else:
        problems.append(f"focus never left the page after {len(targets) + 3} presses of Tab (a focus trap)")
    if reached != list(range(len(targets))):
        problems.append(f"Tab order {reached} is not the document order of {len(targets)} elements")
    if targets and reached:
        page.keyboard.press("Shift+Tab")
        back = page.evaluate(FOCUSED)["index"]
        if back != len(targets) - 1:
            problems.append(f"Shift+Tab after leaving the page reached {back}, not the last element")
    return targets, problems


@pytest.mark.parametrize("state", STATES, ids=str)
def test_keyboard_reaches_everything_in_order_with_visible_focus(page, site, state):
    page.set_viewport_size(DESKTOP)
    open_state(page, state, site)
    targets, problems = tab_through(page)
    assert targets, "no interactive element found: the collector is broken"
    assert problems == []


def test_keyboard_check_finds_problems(page):
    """The gate can fail: a link without a focus style, a positive tabindex that breaks
    the order, and a trap that sends focus back are all reported."""
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    page.evaluate("""() => {
        const main = document.querySelector('main');
        const plain = document.createElement('a');
        plain.href = '#x'; plain.textContent = 'no focus style'; plain.className = 'no-focus';
        // The same look focused or not: inline !important beats the :focus rules.
        plain.style.cssText = 'outline: none !important; box-shadow: none !important; ' +
          'background: none !important; color: #000 !important; text-decoration: none !important; ' +
          'border: 0 !important';
        main.prepend(plain);
        const jumper = document.createElement('button');
        jumper.textContent = 'first'; jumper.tabIndex = 1;
        document.querySelector('footer').append(jumper);
    }""")
    _, problems = tab_through(page)
    assert any(problem.startswith("no visible focus indicator on <a") for problem in problems)
    assert any(problem.startswith("Tab order") for problem in problems)

    page.goto("/")
    page.evaluate("""() => {
        const links = document.querySelectorAll('a[href]');
        const last = links[links.length - 1];
        last.addEventListener('keydown', event => {
            if (event.key === 'Tab' && !event.shiftKey) { event.preventDefault(); links[0].focus(); }
        });
    }""")
    _, problems = tab_through(page)
    assert any("focus trap" in problem for problem in problems)
