"""Every command README.md (and the staff guides in docs/) tells people to type works
when pasted into a fresh shell in the checkout: no FLASK_APP, no settings beyond what the
README's own line gives. A fresh machine needs two commands, ``make run`` and ``make test``.

The commands are read from the pages themselves (table cells and ``sh`` blocks starting
``.venv/bin/flask``, and the production snippet), run with ``bash`` in the checkout with a
clean environment. Two things are changed, and only these: the database is a temporary
SQLite file (``DATABASE_URL``), and ``instance/`` paths point into a temporary folder, so
the tests never touch the developer's own data. The production snippet's ``...``
placeholders get real values, and gunicorn listens on a free local port: it is started,
asked for /healthz, and stopped."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess

from bench.services import free_port, serves
from webapp.config import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text("utf-8")
# The guides for staff who publish responses and read feedback: their commands must work
# as typed too.
GUIDE = (PROJECT_ROOT / "docs" / "publishing-responses.md").read_text("utf-8")
FEEDBACK_GUIDE = (PROJECT_ROOT / "docs" / "feedback.md").read_text("utf-8")
CELL = re.compile(r"^\| `(\.venv/bin/flask [^`]+)` \|", re.MULTILINE)


def readme_flask_commands() -> list[str]:
    commands = [command.replace("\\|", "|") for command in CELL.findall(README)]
    for block in re.findall(r"```sh\n(.*?)```", README + GUIDE + FEEDBACK_GUIDE, re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith(".venv/bin/flask "):
                commands.append(line)
    return commands


def production_snippet() -> list[str]:
    section = README.split("## Running in production", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    return [re.sub(r"\s+", " ", line).strip() for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def clean_env(tmp_path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'readme.sqlite3'}"}


def run(command: str, env: dict, tmp_path) -> subprocess.CompletedProcess:
    command = command.replace("instance/", f"{tmp_path}/instance/")
    return subprocess.run(["bash", "-c", command], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_sh_blocks_are_found_when_indented():
    assert ".venv/bin/flask foi remove-sample" in re.findall(r"```sh\n(.*?)```", GUIDE, re.DOTALL)[-1]


def test_a_fresh_machine_needs_two_commands():
    section = README.split("## Set up on a fresh machine", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    assert [line.split("#", 1)[0].strip() for line in block.splitlines()] == ["make run", "make test"]


def test_the_readme_lists_the_commands_it_should():
    commands = readme_flask_commands()
    assert any(c.startswith(".venv/bin/flask foi import") for c in commands)
    assert any(c.startswith(".venv/bin/flask foi generate-sample") for c in commands)
    assert ".venv/bin/flask foi remove-sample" in commands
    assert ".venv/bin/flask feedback purge" in commands  # from the staff guide to feedback
    assert len(commands) >= 8


def test_every_flask_command_in_the_readme_works_in_a_fresh_shell(tmp_path):
    env = clean_env(tmp_path)
    assert "FLASK_APP" not in env
    setup = run(".venv/bin/flask db upgrade", env, tmp_path)
    assert setup.returncode == 0, setup.stderr
    for command in readme_flask_commands():
        result = run(command, env, tmp_path)
        output = result.stdout + result.stderr
        assert "Could not locate a Flask application" not in output, command
        assert result.returncode == 0, f"{command}\n{output}"
        assert "Traceback" not in output, f"{command}\n{output}"


def test_the_production_snippet_works(tmp_path):
    lines = production_snippet()
    assert len(lines) == 2 and all(
        "SECRET_KEY=..." in line and "SITE_URL=https://..." in line and "DATABASE_URL=postgresql://..." in line
        for line in lines
    )
    env = {key: value for key, value in clean_env(tmp_path).items() if key != "DATABASE_URL"}
    url = f"sqlite:///{tmp_path / 'production.sqlite3'}"
    port = free_port()
    commands = [
        line.replace("SECRET_KEY=...", f"SECRET_KEY={secrets.token_hex(32)}").replace("DATABASE_URL=postgresql://...", f"DATABASE_URL={url}")
        .replace("SITE_URL=https://...", f"SITE_URL=http://127.0.0.1:{port}")
        .replace("--bind 0.0.0.0:8000", f"--bind 127.0.0.1:{port}")
        for line in lines
    ]
    migrate = run(commands[0], env, tmp_path)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    assert "Could not locate a Flask application" not in migrate.stderr
    assert f"127.0.0.1:{port}" in commands[1]
    server = subprocess.Popen(["bash", "-c", commands[1]], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        answered = serves(server, f"http://127.0.0.1:{port}/healthz")
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    assert answered, stderr[-2000:]


def test_flask_finds_the_app_from_the_flaskenv(tmp_path):
    """Without the committed .flaskenv (or without python-dotenv) this fails."""
    env = clean_env(tmp_path)
    result = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "flask"), "foi", "--help"],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "generate-sample" in result.stdout and "remove-sample" in result.stdout
