"""Gate: the served HTML of every page state passes the Nu Html Checker with zero errors.

The checker is npm's ``vnu-jar`` (pinned), run with the machine's Java (``make test``
installs ``default-jre-headless`` when ``java`` is missing). All states are checked in
one Java run: starting the JVM costs more than checking a page.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.browser.harness import watch
from tests.states import all_states, open_state
from webapp.config import PROJECT_ROOT

pytestmark = pytest.mark.browser

VNU_JAR = PROJECT_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
STATES = all_states()


def file_name(state) -> str:
    return re.sub(r"[^a-z0-9]+", "-", state.name.lower()).strip("-") or "home"


def run_vnu(files) -> dict[str, list[dict]]:
    """Errors per file (by name) from one run of the checker over ``files``."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing: `make test` installs default-jre-headless")
    if not VNU_JAR.exists():
        pytest.fail(f"{VNU_JAR} is missing: `make install` runs npm ci")
    result = subprocess.run(
        [java, "-Xss8m", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always", *map(str, files)],
        capture_output=True, text=True, timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors: dict[str, list[dict]] = {file.name: [] for file in files}
    for message in messages:
        if message.get("type") in ("error", "non-document-error"):
            errors.setdefault(message.get("url", "").rsplit("/", 1)[-1], []).append(message)
    return errors


def describe(errors: list[dict]) -> str:
    return "\n".join(
        f"  line {error.get('lastLine', '?')}: {error['message']}  [{error.get('extract', '').strip()[:80]}]"
        for error in errors
    )


# Checked in the same run as the site's pages, so the gate is seen to fail on bad HTML.
INVALID_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><title>x</title></head>'
    '<body><p id="a">one</p><p id="a">two</p></span></body></html>'
)
INVALID_NAME = "known-invalid"


class Broken(str):
    """Why a state could not be opened (a failure, unlike a skip's reason)."""


@pytest.fixture(scope="module")
def checked(browser, base_url, site, tmp_path_factory):
    """Open every state once without JavaScript, keep its served HTML, check all of them
    in one run.
    Per state: (the errors, problems seen in the browser) or the reason it was skipped."""
    folder = tmp_path_factory.mktemp("vnu")
    results, files = {}, {}
    for state in STATES:
        # A fresh context per state (no cookie from an earlier one), with JavaScript off,
        # so a state reached through a form is a document the server rendered.
        context = browser.new_context(base_url=base_url, java_script_enabled=False)
        page = watch(context.new_page(), base_url)
        try:
            html = open_state(page, state, site)
        except pytest.skip.Exception as skipped:
            results[state.name] = str(skipped)
            continue
        except Exception as error:  # noqa: BLE001 - one broken state must not hide the others
            results[state.name] = Broken(f"{state.name} could not be opened: {error}")
            continue
        finally:
            context.close()
        files[state.name] = folder / f"{file_name(state)}.html"
        files[state.name].write_text(html, "utf-8")
        results[state.name] = page.problems
    files[INVALID_NAME] = folder / f"{INVALID_NAME}.html"
    files[INVALID_NAME].write_text(INVALID_PAGE, "utf-8")
    results[INVALID_NAME] = []
    errors = run_vnu(list(files.values()))
    return {
        name: (errors[files[name].name], problems) if name in files else problems
        for name, problems in results.items()
    }


@pytest.mark.parametrize("state", STATES, ids=str)
def test_state_is_valid_html(checked, state):
    result = checked[state.name]
    if isinstance(result, Broken):
        pytest.fail(result)
    if isinstance(result, str):
        pytest.skip(result)
    errors, problems = result
    assert problems == [], "\n".join(problems)
    assert errors == [], f"Nu Html Checker errors in {state.name}:\n{describe(errors)}"


def test_checker_finds_invalid_html(checked):
    """The gate can fail: a duplicate id and a stray end tag are reported."""
    errors, _ = checked[INVALID_NAME]
    assert any("Duplicate ID" in error["message"] for error in errors)
    assert any("Stray end tag" in error["message"] for error in errors)
