"""`make lint` runs both linters and fails when either finds a defect.

Each test runs the real target (the Makefile, pyproject.toml's [tool.ruff] and
eslint.config.mjs, copied unchanged) in a temporary copy of the checkout that holds
the JavaScript the target lints and one Python file: clean, the target passes;
with one deliberately bad file added, it fails and names the file and the rule."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from webapp.config import PROJECT_ROOT

CLEAN_PYTHON = '"""A module with nothing wrong in it."""\n\nimport os\n\nHOME = os.environ.get("HOME")\n'
LINTED_JS = ["static/src/js", "static/build.mjs", "tests/quality/lighthouse.mjs"]


@pytest.fixture
def checkout(tmp_path):
    """A copy of what `make lint` reads, with the installed tools linked in."""
    for name in ("Makefile", "pyproject.toml", "eslint.config.mjs"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    for name in LINTED_JS:
        source, target = PROJECT_ROOT / name, tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
    for name in (".venv", "node_modules"):
        (tmp_path / name).symlink_to(PROJECT_ROOT / name)
    (tmp_path / "module.py").write_text(CLEAN_PYTHON, "utf-8")
    return tmp_path


def make_lint(folder) -> subprocess.CompletedProcess:
    # -o: the install stamps count as up to date, so the copy reuses the checkout's tools.
    return subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed", "-o", "node_modules/.installed",
                           "lint"], cwd=folder, capture_output=True, text=True, timeout=120)


def test_a_clean_copy_passes(checkout):
    result = make_lint(checkout)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unused_import_fails_ruff(checkout):
    (checkout / "bad.py").write_text("import json\n", "utf-8")
    result = make_lint(checkout)
    assert result.returncode != 0
    assert "bad.py:1:8: F401" in result.stdout


def test_a_closure_over_a_loop_variable_fails_ruff(checkout):
    (checkout / "bad.py").write_text("callbacks = [lambda: index for index in range(3)]\n", "utf-8")
    result = make_lint(checkout)
    assert result.returncode != 0
    assert "bad.py:1:22: B023" in result.stdout


def test_an_undefined_name_fails_eslint(checkout):
    (checkout / "static" / "src" / "js" / "bad.mjs").write_text("export const width = widht + 1\n", "utf-8")
    result = make_lint(checkout)
    assert result.returncode != 0
    assert "bad.mjs" in result.stdout
    assert "'widht' is not defined" in result.stdout and "no-undef" in result.stdout


def test_newer_syntax_in_the_classic_quick_exit_script_fails_eslint(checkout):
    """The quick exit is ES5 so that it runs in any browser; `let` is a parse error there."""
    script = checkout / "static" / "src" / "js" / "quick-exit.js"
    script.write_text(script.read_text("utf-8") + "\nlet later = 1\n", "utf-8")
    result = make_lint(checkout)
    assert result.returncode != 0
    assert "quick-exit.js" in result.stdout and "Parsing error" in result.stdout


def test_both_linters_report_before_the_target_fails(checkout):
    (checkout / "bad.py").write_text("import json\n", "utf-8")
    (checkout / "static" / "src" / "js" / "bad.mjs").write_text("const unused = 1\n", "utf-8")
    result = make_lint(checkout)
    assert result.returncode != 0
    assert "F401" in result.stdout and "no-unused-vars" in result.stdout
