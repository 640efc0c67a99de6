"""Gate: reflow and text resize in Chromium, on every page state.

- WCAG 1.4.10 Reflow: at 320 CSS pixels wide (a 1280 px screen zoomed to 400%) no page
  scrolls sideways: ``documentElement.scrollWidth <= clientWidth``.
- WCAG 1.4.4 Resize text: at 200% text size nothing is clipped or overlapped.

How 200% text is made: the page's root font size is set to 200% through the CSSOM
(``document.documentElement.style.fontSize``), which is what a browser's text-size
setting does to a page whose type is sized in rem, as GOV.UK Frontend's is. Page zoom
would enlarge everything, which the 320 px check already covers (1280 px at 400%). The
CSSOM write comes from the DevTools protocol, which the page's CSP does not govern, so
the page keeps its real policy. The test first checks that the main heading's text did
grow to twice its size, so it cannot pass by changing nothing.

Then the main elements' boxes (header, service navigation, phase banner, the headings in
<main>, footer) must not overlap each other or leave the viewport, no page may scroll
sideways, and no element that hides its overflow may have content cut off.
"""

from __future__ import annotations

import pytest

from tests.states import all_states, open_state

pytestmark = pytest.mark.browser

STATES = all_states()
NARROW = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 800}

# The page regions whose boxes must stay apart, in page order.
REGIONS = [
    ".govuk-header",
    ".govuk-service-navigation",
    ".govuk-phase-banner",
    "main h1",
    "main h2",
    "main h3",
    ".govuk-footer",
]

MEASURE = """regions => {
  const root = document.documentElement;
  const boxes = [];
  for (const selector of regions) {
    document.querySelectorAll(selector).forEach((el, i) => {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) {
        boxes.push({ name: `${selector}[${i}]`, left: r.left, right: r.right,
                     top: r.top + scrollY, bottom: r.bottom + scrollY });
      }
    });
  }
  // Content cut off: an element that hides its overflow but whose content is bigger
  // than its box. Visually hidden text (1px boxes, clipped on purpose) is not content
  // anyone sees, so it is left out.
  const clipped = [];
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    const hides = ['hidden', 'clip'];
    if (!hides.includes(style.overflowX) && !hides.includes(style.overflowY)) continue;
    if (el.clientWidth <= 1 || el.clientHeight <= 1) continue;
    const wide = hides.includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1;
    const tall = hides.includes(style.overflowY) && el.scrollHeight > el.clientHeight + 1;
    if (wide || tall) clipped.push(`${el.tagName.toLowerCase()}.${el.className} (${el.scrollWidth}x${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight})`);
  }
  return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, boxes, clipped };
}"""


def overlaps(a, b) -> bool:
    return a["left"] < b["right"] - 1 and b["left"] < a["right"] - 1 and a["top"] < b["bottom"] - 1 and b["top"] < a["bottom"] - 1


def layout_problems(measured) -> list[str]:
    problems = []
    if measured["scrollWidth"] > measured["clientWidth"]:
        problems.append(f"scrolls sideways: {measured['scrollWidth']} px of content in {measured['clientWidth']} px")
    boxes = measured["boxes"]
    for box in boxes:
        if box["left"] < -1 or box["right"] > measured["clientWidth"] + 1:
            problems.append(f"{box['name']} leaves the viewport: {box['left']:.0f}–{box['right']:.0f} px")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if overlaps(a, b):
                problems.append(f"{a['name']} overlaps {b['name']}")
    problems += [f"content cut off: {item}" for item in measured["clipped"]]
    return problems


@pytest.mark.parametrize("state", STATES, ids=str)
def test_no_sideways_scrolling_at_320px(page, live_app, state):
    page.set_viewport_size(NARROW)
    open_state(page, state, live_app)
    measured = page.evaluate(MEASURE, REGIONS)
    assert measured["clientWidth"] == NARROW["width"]
    assert layout_problems(measured) == []


@pytest.mark.parametrize("state", STATES, ids=str)
def test_nothing_clipped_or_overlapping_at_200_percent_text(page, live_app, state):
    page.set_viewport_size(DESKTOP)
    open_state(page, state, live_app)
    heading = page.locator("main h1").first
    before = float(heading.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    after = float(heading.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    assert after == pytest.approx(2 * before, rel=0.05), "the text did not grow to 200%"
    measured = page.evaluate(MEASURE, REGIONS)
    assert layout_problems(measured) == []


def test_reflow_check_finds_overflow_and_overlap(page, live_app):
    """The gate can fail: a too-wide element and a heading pulled over the header are found."""
    page.set_viewport_size(NARROW)
    page.goto("/")
    page.evaluate("""() => {
        const wide = document.createElement('div');
        wide.textContent = 'x'.repeat(10);
        wide.style.width = '600px';
        document.querySelector('main').append(wide);
        const h1 = document.querySelector('main h1');
        h1.style.position = 'absolute';
        h1.style.top = '0';
        const box = document.createElement('p');
        box.textContent = 'a long line of text that cannot fit';
        box.style.cssText = 'overflow:hidden;width:50px;height:20px;white-space:nowrap';
        document.querySelector('main').append(box);
    }""")
    problems = layout_problems(page.evaluate(MEASURE, REGIONS))
    assert any(problem.startswith("scrolls sideways") for problem in problems)
    assert any("main h1[0] overlaps" in problem or "overlaps main h1[0]" in problem for problem in problems)
    assert any(problem.startswith("content cut off: p.") for problem in problems)
