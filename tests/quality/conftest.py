"""Quality gates: every page state (``tests/states.py``) against the live server.

Each gate is one module; the time each adds to the run is printed at the end of
``pytest`` (setup, call and teardown of its tests, shared fixtures included in the
first test that needs them).
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from tests.states import prepare_site

GATE_SECONDS: dict[str, float] = defaultdict(float)
GATE_TESTS: dict[str, set] = defaultdict(set)
# Figures a gate reports without gating on them (Lighthouse's performance score),
# printed at the end of the run whatever the outcome.
REPORTED: list[str] = []


@pytest.fixture(scope="session")
def site(live_app):
    """The live app with its content in place (``tests.states.SITE_COMMANDS``)."""
    REPORTED.extend(prepare_site(live_app))
    return live_app


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::", 1)[0]
    if path.startswith("tests/quality/test_"):
        gate = path.removeprefix("tests/quality/").removesuffix(".py")
        GATE_SECONDS[gate] += report.duration
        GATE_TESTS[gate].add(report.nodeid)


def pytest_terminal_summary(terminalreporter):
    if REPORTED:
        terminalreporter.section("quality gate figures")
        for line in REPORTED:
            terminalreporter.write_line(line)
    if not GATE_SECONDS:
        return
    terminalreporter.section("quality gate times")
    for gate, seconds in sorted(GATE_SECONDS.items()):
        terminalreporter.write_line(f"{gate:<24} {seconds:7.1f} s  ({len(GATE_TESTS[gate])} tests)")
    terminalreporter.write_line(f"{'all gates':<24} {sum(GATE_SECONDS.values()):7.1f} s")
