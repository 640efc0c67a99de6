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

# The page regions whose boxes must stay apart: (name, selector, must every page have it).
# A required region that is missing fails the test, so the check cannot pass by
# measuring nothing.
REGIONS = [
    ("header", ".govuk-generic-header", True),
    ("service navigation", ".govuk-service-navigation", True),
    ("phase banner", ".govuk-phase-banner", True),
    ("main heading", "main h1", True),
    ("heading", "main h2, main h3", False),
    ("footer", ".govuk-footer", True),
]

MEASURE = """regions => {
  const root = document.documentElement;
  const boxes = [];
  const missing = [];
  for (const [name, selector, required] of regions) {
    const found = [...document.querySelectorAll(selector)].filter(el => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0;
    });
    if (required && found.length === 0) missing.push(`${name} (${selector})`);
    found.forEach((el, i) => boxes.push({ el, name: `${name} ${i + 1}`, rect: el.getBoundingClientRect() }));
  }
  const outside = [];
  const overlapping = [];
  boxes.forEach((a, i) => {
    if (a.rect.left < -1 || a.rect.right > root.clientWidth + 1) {
      outside.push(`${a.name} leaves the viewport: ${Math.round(a.rect.left)}–${Math.round(a.rect.right)} px`);
    }
    for (const b of boxes.slice(i + 1)) {
      if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
      const apart = a.rect.right <= b.rect.left + 1 || b.rect.right <= a.rect.left + 1 ||
                    a.rect.bottom <= b.rect.top + 1 || b.rect.bottom <= a.rect.top + 1;
      if (!apart) overlapping.push(`${a.name} overlaps ${b.name}`);
    }
  });
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
    if (wide || tall) clipped.push(`${el.tagName.toLowerCase()}.${el.className} ` +
                                   `(${el.scrollWidth}x${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight})`);
  }
  // What sticks out to the right: elements past the viewport's edge whose parent is not,
  // so a failure names the cause rather than every ancestor.
  const sticking = [];
  for (const el of document.body.querySelectorAll('*')) {
    const right = el.getBoundingClientRect().right;
    const parent = el.parentElement.getBoundingClientRect().right;
    if (right > root.clientWidth + 1 && parent <= root.clientWidth + 1 && sticking.length < 5) {
      sticking.push(`${el.tagName.toLowerCase()}.${el.className} (right edge at ${Math.round(right)} px)`);
    }
  }
  return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, missing, outside,
           overlapping, clipped, sticking };
}"""


def layout_problems(measured) -> list[str]:
    problems = [f"missing region: {name}" for name in measured["missing"]]
    if measured["scrollWidth"] > measured["clientWidth"]:
        problems.append(
            f"scrolls sideways: {measured['scrollWidth']} px of content in {measured['clientWidth']} px; "
            f"sticking out: {', '.join(measured['sticking']) or 'nothing found past the edge'}"
        )
    problems += measured["outside"] + measured["overlapping"]
    problems += [f"content cut off: {item}" for item in measured["clipped"]]
    return problems


@pytest.mark.parametrize("state", STATES, ids=str)
def test_no_sideways_scrolling_at_320px(page, site, state):
    page.set_viewport_size(NARROW)
    open_state(page, state, site)
    measured = page.evaluate(MEASURE, REGIONS)
    assert measured["clientWidth"] == NARROW["width"]
    assert layout_problems(measured) == []


@pytest.mark.parametrize("state", STATES, ids=str)
def test_nothing_clipped_or_overlapping_at_200_percent_text(page, site, state):
    page.set_viewport_size(DESKTOP)
    open_state(page, state, site)
    heading = page.locator("main h1").first
    before = float(heading.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    after = float(heading.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    assert after == pytest.approx(2 * before, rel=0.05), "the text did not grow to 200%"
    measured = page.evaluate(MEASURE, REGIONS)
    assert layout_problems(measured) == []


def test_reflow_check_finds_overflow_and_overlap(page):
    """The gate can fail: a too-wide element and a heading pulled over the header are found."""
    page.set_viewport_size(NARROW)
    page.goto("/")
    page.evaluate("""() => {
        const wide = document.createElement('div');
        wide.textContent = 'x'.repeat(10);
        wide.style.width = '600px';
        document.querySelector('main').append(wide);
        // Drawn over the header, wherever the header is.
        const h1 = document.querySelector('main h1');
        const dy = document.querySelector('.govuk-generic-header').getBoundingClientRect().top - h1.getBoundingClientRect().top;
        h1.style.transform = `translateY(${dy}px)`;
        const box = document.createElement('p');
        box.textContent = 'a long line of text that cannot fit';
        box.style.cssText = 'overflow:hidden;width:50px;height:20px;white-space:nowrap';
        document.querySelector('main').append(box);
    }""")
    problems = layout_problems(page.evaluate(MEASURE, REGIONS))
    assert any(problem.startswith("scrolls sideways") for problem in problems)
    assert any("main heading 1 overlaps" in problem or "overlaps main heading 1" in problem for problem in problems)
    assert any(problem.startswith("content cut off: p.") for problem in problems)
    page.evaluate("document.querySelector('.govuk-footer').remove()")
    assert "missing region: footer (.govuk-footer)" in layout_problems(page.evaluate(MEASURE, REGIONS))
