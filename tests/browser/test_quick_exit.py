"""The quick exit in real Chromium: every trigger, what is left behind, and the bar.

The exit address is intercepted with ``page.route`` and answered with a tiny page: no
test touches the network. An init script (``PROBE``) records, at the moment the exit
navigation starts, what a person looking at the screen would see then (cover, title,
favicon) and what script could still read (storage, cookies). The state is reported
through the console because the old page cannot be queried while its replacement is
being fetched.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer, watch
from tests.conftest import make_app

pytestmark = pytest.mark.browser

EXIT_URL = "https://www.bbc.co.uk/weather"
EXIT_PAGE = "<!DOCTYPE html><html lang='en'><title>Weather</title><h1>Weather</h1></html>"
PROBE_PREFIX = "quick-exit-probe "
PROBE = """(() => {
  const report = (kind, data) => console.log('quick-exit-probe ' + JSON.stringify({ kind, ...data }))
  navigation.addEventListener('navigate', (event) => {
    const cover = document.querySelector('[data-quick-exit-cover]')
    report('navigate', {
      url: event.destination.url,
      title: document.title,
      cover: !!cover && getComputedStyle(cover).display !== 'none' && cover.getBoundingClientRect().height > 0,
      bodyHidden: !document.body || getComputedStyle(document.body).display === 'none',
      local: localStorage.length,
      session: sessionStorage.length,
      cookie: document.cookie,
      icons: [...document.querySelectorAll('link[rel~="icon"]')].map((link) => link.getAttribute('href')),
      historyLength: history.length,
      readyState: document.readyState
    })
  })
  window.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') report('escape', { prevented: event.defaultPrevented })
    // F9 stands in for the browser showing this page again from the back/forward cache.
    if (event.key === 'F9') window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }))
  })
})()"""


class ExitSite:
    """Holds requests for the exit address until the test releases them."""

    def __init__(self, page):
        self.page = page
        page.leaves_mid_load = True
        self.routes = []
        self.reports = []
        page.route(f"{EXIT_URL}**", lambda route: self.routes.append(route))
        page.add_init_script(PROBE)
        page.on("console", self._on_console)

    def _on_console(self, message):
        if message.text.startswith(PROBE_PREFIX):
            self.reports.append(json.loads(message.text[len(PROBE_PREFIX):]))

    def navigations(self):
        return [report for report in self.reports if report["kind"] == "navigate"]

    def wait_for_request(self, count: int = 1, timeout_ms: int = 5000):
        waited = 0
        while len(self.routes) < count and waited < timeout_ms:
            self.page.wait_for_timeout(20)
            waited += 20
        assert len(self.routes) >= count, f"expected {count} request(s) for the exit address, saw {len(self.routes)}"

    def no_request(self, settle_ms: int = 400):
        """Give a (wrong) exit time to start; none must."""
        self.page.wait_for_timeout(settle_ms)
        assert self.routes == []
        assert self.navigations() == []

    def release(self):
        for route in self.routes:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=EXIT_PAGE)
        self.page.wait_for_url(EXIT_URL)
        forget_expected_problems(self.page)


# What an exit is expected to leave in the watcher's list: the request for the exit
# address (off the site, answered locally by the test); an earlier exit navigation
# replaced by a re-issued one; and the keepalive beacon, which outlives the page and is
# reported to it as aborted once the page is gone. Any asset (the favicon) still loading
# when the visitor left is abandoned with the page: ExitSite sets page.leaves_mid_load.
EXPECTED_PROBLEMS = re.compile(
    rf"(off-site request: {re.escape(EXIT_URL)}$"
    rf"|request failed: {re.escape(EXIT_URL)} net::ERR_ABORTED$"
    r"|request failed: https?://[^/]+/leave net::ERR_ABORTED$)"
)


def forget_expected_problems(page):
    page.problems[:] = [problem for problem in page.problems if not EXPECTED_PROBLEMS.match(problem)]


def assert_left_cleanly(site: ExitSite, history_before: int):
    """What every JavaScript exit must do."""
    first = site.navigations()[0]
    assert first["url"] == EXIT_URL
    # By the time the navigation starts, the page is already covered and neutral...
    assert first["cover"] is True
    assert first["bodyHidden"] is True
    assert first["title"] == "New Tab"
    assert first["icons"] == ["data:,"]
    # ...and what script can reach is gone.
    assert (first["local"], first["session"], first["cookie"]) == (0, 0, "")
    for route in site.routes:
        assert "referer" not in route.request.headers
        assert route.request.is_navigation_request()
    site.release()
    assert site.page.title() == "Weather"
    # location.replace(): the exit took this page's place in history, so Back cannot return.
    assert site.page.evaluate("history.length") == history_before


def leave_something_behind(page):
    page.evaluate("""() => {
        localStorage.setItem('seen', 'a response');
        sessionStorage.setItem('search', 'domestic abuse');
        document.cookie = 'recent=1; path=/';
    }""")
    assert page.evaluate("localStorage.length + sessionStorage.length") == 2
    assert page.evaluate("document.cookie") == "recent=1"


@pytest.fixture
def exit_site(page):
    return ExitSite(page)


def test_escape_on_the_page_leaves_and_a_second_escape_does_not_cancel(page, exit_site):
    page.goto("/")
    leave_something_behind(page)
    history_before = page.evaluate("history.length")
    page.keyboard.press("Escape")
    exit_site.wait_for_request()
    # A panicked second press while the exit is loading: in Chromium an unhandled Escape
    # means "Stop". It is prevented and the navigation is issued again.
    page.keyboard.press("Escape")
    exit_site.wait_for_request(2)
    escapes = [report for report in exit_site.reports if report["kind"] == "escape"]
    assert [report["prevented"] for report in escapes] == [True, True]
    assert [report["url"] for report in exit_site.navigations()] == [EXIT_URL, EXIT_URL]
    assert_left_cleanly(exit_site, history_before)


def test_escape_inside_a_text_field_leaves(page, exit_site):
    page.goto("/")
    page.evaluate("""() => {
        const label = Object.assign(document.createElement('label'), {htmlFor: 'q', textContent: 'Search'});
        const input = Object.assign(document.createElement('input'), {id: 'q', type: 'text'});
        document.querySelector('main').append(label, input);
    }""")
    page.locator("#q").fill("help")
    page.locator("#q").focus()
    history_before = page.evaluate("history.length")
    page.keyboard.press("Escape")
    exit_site.wait_for_request()
    assert_left_cleanly(exit_site, history_before)


def test_escape_while_the_page_is_still_loading(page, exit_site):
    """The stylesheet is held back, so the parser stops at the first script in <body>:
    the page is still loading, no other script has run, and Escape still leaves."""
    held = []
    page.route("**/static/dist/main.*.css", lambda route: held.append(route))
    page.goto("/", wait_until="commit")
    # Polled from here: requestAnimationFrame never fires while rendering waits for the CSS,
    # and wait_for_function's polling may evaluate in the page, where the CSP forbids eval.
    for _ in range(100):
        if page.evaluate("document.documentElement.classList.contains('app-quick-exit-enabled')"):
            break
        page.wait_for_timeout(50)
    else:
        pytest.fail("the quick exit script did not start while the page was loading")
    assert held, "the stylesheet request was not held"
    assert page.evaluate("document.readyState") == "loading"
    assert page.evaluate("document.querySelector('main') === null")  # not parsed yet
    history_before = page.evaluate("history.length")
    page.keyboard.press("Escape")
    exit_site.wait_for_request()
    assert exit_site.navigations()[0]["readyState"] == "loading"
    assert_left_cleanly(exit_site, history_before)
    # The held stylesheet is abandoned with the page: ExitSite set page.leaves_mid_load.


def test_shift_three_times_leaves_and_each_press_is_announced(page, exit_site):
    page.goto("/")
    status = page.locator("[data-quick-exit-status]")
    assert status.get_attribute("role") == "status"
    history_before = page.evaluate("history.length")
    page.keyboard.press("Shift")
    assert status.inner_text() == "Shift, press 2 more times to leave this site."
    assert_accessible(page, state="(Shift pressed once)")
    page.keyboard.press("Shift")
    assert status.inner_text() == "Shift, press 1 more time to leave this site."
    page.keyboard.press("Shift")
    exit_site.wait_for_request()
    assert_left_cleanly(exit_site, history_before)


def test_shift_used_as_a_modifier_or_another_key_resets_the_count(page, exit_site):
    page.goto("/")
    status = page.locator("[data-quick-exit-status]")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.keyboard.press("a")  # any other key starts again
    assert status.inner_text() == ""
    page.keyboard.press("Shift")
    page.keyboard.press("Shift+A")  # Shift as a modifier does not count
    page.keyboard.press("Shift")
    assert status.inner_text() == "Shift, press 2 more times to leave this site."
    exit_site.no_request()


def test_the_button_leaves_with_javascript(page, exit_site):
    page.goto("/staying-safe-online")
    leave_something_behind(page)
    history_before = page.evaluate("history.length")
    box = page.get_by_role("button", name="Emergency Leave this site").bounding_box()
    # A real mouse click (the locator's click() would wait for the held navigation).
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    exit_site.wait_for_request()
    assert_left_cleanly(exit_site, history_before)


FRAME_PROBE = """(() => {
  new MutationObserver((records, observer) => {
    const cover = document.querySelector('[data-quick-exit-cover]')
    if (!cover) return
    observer.disconnect()
    const root = document.documentElement
    const before = root.style.getPropertyValue('--app-quick-exit-height')
    const changes = []
    new MutationObserver((list) => changes.push(...list.map((record) => record.attributeName)))
      .observe(root, { attributes: true })
    // Two frames later: the cover's frame and the next have both run their observers.
    requestAnimationFrame(() => requestAnimationFrame(() => console.log('quick-exit-frame ' + JSON.stringify({
      before, after: root.style.getPropertyValue('--app-quick-exit-height'), changes,
      coverFont: getComputedStyle(cover).fontFamily
    }))))
  }).observe(document, { childList: true, subtree: true })
})()"""


def test_the_cover_frame_restyles_nothing_else(page, exit_site):
    """The cover's frame does only the cover: the bar's ResizeObserver sees the page hidden
    and stands still (measuring would force a layout and restyle the whole page), and
    the cover's text is set in the page's own, already loaded typeface."""
    frames = []
    page.add_init_script(FRAME_PROBE)
    page.on("console", lambda message: message.text.startswith("quick-exit-frame ")
            and frames.append(json.loads(message.text.split(" ", 1)[1])))
    page.goto("/")
    page_font = page.evaluate("getComputedStyle(document.querySelector('.govuk-body')).fontFamily")
    height = page.evaluate("document.documentElement.style.getPropertyValue('--app-quick-exit-height')")
    assert height.endswith("px")  # the bar's observer is working before the exit
    page.keyboard.press("Escape")
    exit_site.wait_for_request()
    page.wait_for_timeout(200)
    assert len(frames) == 1
    assert frames[0]["before"] == frames[0]["after"] == height
    assert frames[0]["changes"] == []
    assert frames[0]["coverFont"] == page_font
    exit_site.release()


def test_the_button_leaves_through_leave_without_javascript(no_js_page):
    """Without JavaScript the button is a link to /leave. Playwright cannot intercept the
    target of a redirect, so the test takes the server's real 303 from /leave (checking
    it) and answers the navigation with the stand-in exit page itself: nothing leaves
    the machine."""
    leave = {}

    def answer_leave(route):
        leave["request"] = route.request
        leave["response"] = route.fetch(max_redirects=0)
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=EXIT_PAGE)

    no_js_page.route("**/leave", answer_leave)
    no_js_page.goto("/")
    button = no_js_page.get_by_role("button", name="Emergency Leave this site")
    assert button.get_attribute("href") == "/leave"
    assert button.get_attribute("rel") == "nofollow noreferrer"
    button.click()
    no_js_page.wait_for_function("document.title === 'Weather'")
    response = leave["response"]
    assert response.status == 303
    assert response.headers["location"] == EXIT_URL
    assert response.headers["clear-site-data"] == '"cookies", "storage"'
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    # rel="noreferrer": not even /leave learns which page the visitor was reading, so the
    # redirect to the exit address has no Referer to pass on either.
    assert "referer" not in leave["request"].headers
    assert leave["request"].method == "GET"


def test_the_first_tab_stop_is_leave_this_site_then_the_skip_link(page, exit_site):
    page.goto("/")
    page.keyboard.press("Tab")
    first = page.locator(":focus")
    assert " ".join(first.text_content().split()) == "Emergency Leave this site"
    assert first.get_attribute("href") == "/leave"
    assert first.is_visible()
    assert_accessible(page, state="(Leave this site link focused)")
    # The cookie banner's controls come next while no choice is saved, then the skip link.
    for _ in range(4):
        page.keyboard.press("Tab")
        if page.locator(":focus").text_content().strip() == "Skip to main content":
            break
        assert page.evaluate("document.activeElement.closest('.govuk-cookie-banner') !== null")
    assert page.locator(":focus").text_content().strip() == "Skip to main content"
    page.keyboard.press("Shift+Tab")
    while page.evaluate("document.activeElement.closest('.govuk-cookie-banner') !== null"):
        page.keyboard.press("Shift+Tab")
    assert " ".join(page.locator(":focus").text_content().split()) == "Emergency Leave this site"
    page.keyboard.press("Enter")
    exit_site.wait_for_request()
    exit_site.release()


@pytest.mark.parametrize("event", [
    "{key: 'Escape', isComposing: true}",
    "{key: 'Escape', keyCode: 229}",
    "{key: 'Escape', repeat: true}",
    "{key: 'Escape', ctrlKey: true}",
    "{key: 'Escape', shiftKey: true}",
])
def test_ime_composition_key_repeat_and_modifiers_do_not_leave(page, exit_site, event):
    page.goto("/")
    page.evaluate(f"window.dispatchEvent(new KeyboardEvent('keydown', {{...{event}, bubbles: true, cancelable: true}}))")
    exit_site.no_request()
    assert page.locator("[data-quick-exit-cover]").count() == 0
    # The same event without the guard's reason does leave: the test can fail.
    page.evaluate("window.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true, cancelable: true}))")
    exit_site.wait_for_request()
    exit_site.release()


def test_a_held_escape_key_leaves_once(page, exit_site):
    page.goto("/")
    page.keyboard.down("Escape")
    page.keyboard.down("Escape")  # auto-repeat
    exit_site.wait_for_request()
    page.keyboard.up("Escape")
    exit_site.release()


def test_the_exit_works_when_the_server_is_down(page, exit_site):
    page.goto("/")
    page.route("**/leave", lambda route: route.abort("connectionrefused"))
    page.keyboard.press("Escape")
    exit_site.wait_for_request()
    exit_site.release()
    refused = "console error: Failed to load resource: net::ERR_CONNECTION_REFUSED"
    page.problems[:] = [p for p in page.problems if not (re.match(r"request failed: .*/leave ", p) or p == refused)]


def test_a_page_restored_from_the_back_forward_cache_after_an_exit_leaves_again(page, exit_site):
    page.goto("/")
    page.keyboard.press("Escape")
    exit_site.wait_for_request()
    # The same page shown again from the back/forward cache gets pageshow(persisted); the
    # probe dispatches one on F9 (the page cannot be evaluated while the exit is held).
    page.keyboard.press("F9")
    exit_site.wait_for_request(2)
    assert exit_site.navigations()[-1]["cover"] is True
    exit_site.release()


def test_html_is_never_stored_by_the_browser_but_assets_are(page):
    seen = {}
    page.on("response", lambda response: seen.setdefault(response.url.rsplit("/", 1)[-1].split(".")[0], response))
    page.goto("/", wait_until="networkidle")
    document = page.context.request.get(page.url)
    assert document.headers["cache-control"] == "no-store"
    assert seen["quick-exit"].headers["cache-control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("width,height", [(320, 568), (360, 740), (1024, 768)])
def test_the_bar_stays_in_reach_never_hides_focus_and_has_a_large_target(page, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/staying-safe-online")
    button = page.get_by_role("button", name="Emergency Leave this site")
    box = button.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    assert page.locator(".app-quick-exit__instruction").is_visible()
    help_box = page.locator(".app-quick-exit__help").bounding_box()
    assert help_box["x"] >= box["x"] + box["width"] and help_box["x"] + help_box["width"] <= width
    # Scrolled to the bottom, the button is still on screen.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function("window.scrollY > 0")
    box = button.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= height
    assert_accessible(page, state=f"(scrolled, {width}px)")
    # Every focused element is clear of the sticky bar (WCAG 2.4.11).
    sticky = ".app-quick-exit__actions" if width < 641 else ".app-quick-exit"
    page.evaluate("window.scrollTo(0, 0)")
    for _ in range(40):
        page.keyboard.press("Tab")
        overlap = page.evaluate("""(sticky) => {
            const focused = document.activeElement;
            const bar = document.querySelector(sticky);
            if (!focused || focused === document.body || bar.contains(focused)) return null;
            if (focused.classList.contains('govuk-skip-link')) return null;
            const f = focused.getBoundingClientRect(), b = bar.getBoundingClientRect();
            // Obscured only where the two boxes intersect: content above the bar in the
            // page (the cookie banner) is not under it.
            const hidden = f.top < b.bottom && f.bottom > b.top;
            return hidden ? [focused.textContent.trim(), f.top, f.bottom, b.top, b.bottom] : null;
        }""", sticky)
        assert overlap is None, overlap


def test_the_bar_is_not_printed(page):
    page.goto("/")
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Emergency Leave this site").is_visible()
    assert not page.locator(".app-quick-exit__instruction").is_visible()


def test_the_instruction_is_shown_only_when_escape_works(no_js_page):
    no_js_page.goto("/")
    assert not no_js_page.locator(".app-quick-exit__instruction").is_visible()
    assert no_js_page.get_by_role("button", name="Emergency Leave this site").is_visible()


@pytest.fixture
def double_escape_page(tmp_path, context):
    """A second live site configured with QUICK_EXIT_ESCAPE_PRESSES=2."""
    with LiveServer(make_app(tmp_path, QUICK_EXIT_ESCAPE_PRESSES=2)) as server:
        page = watch(context.new_page(), server.url)
        page.site_url = server.url
        yield page
        forget_expected_problems(page)
        problems = page.problems
        page.close()
        assert problems == [], "\n".join(problems)


def test_double_escape_setting_needs_two_presses_within_two_seconds(double_escape_page):
    page = double_escape_page
    site = ExitSite(page)
    page.goto(page.site_url + "/")
    assert page.locator(".app-quick-exit__instruction").inner_text() == (
        "Quickly exit this site by pressing the Escape key twice"
    )
    page.keyboard.press("Escape")
    status = page.locator("[data-quick-exit-status]")
    assert status.inner_text() == "Escape, press 1 more time to leave this site."
    site.no_request(settle_ms=200)
    history_before = page.evaluate("history.length")
    page.keyboard.press("Escape")
    site.wait_for_request()
    assert_left_cleanly(site, history_before)
