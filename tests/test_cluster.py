"""The reference deployment (deploy/) under load and faults, and an instance's graceful stop.

``test_cluster_loses_nothing_through_restarts_and_outages`` is the short version of the
soak in ``make bench`` (bench/cluster.py): a private PostgreSQL and Redis, three
instances, HAProxy from deploy/haproxy.cfg, Locust's visitors, and in order a SIGKILL,
a rolling restart, a PostgreSQL restart, a Redis stop and start and an import. It prints
its figures and fails on any lost or doubled feedback, any 5xx outside the fault windows
or other than the technical-problem page, a connection error on a GET, or an import not
served everywhere within FOI_VERSION_TTL + 1 s. About two minutes.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent


def require_programs() -> None:
    from bench.services import missing_programs

    missing = missing_programs()
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (`make test` installs Debian's packages)")
    if not shutil.which("wrk"):
        pytest.skip("wrk is not installed (`make test` installs Debian's wrk)")


def test_cluster_loses_nothing_through_restarts_and_outages():
    require_programs()
    from bench.cluster import run_cluster

    report = run_cluster(60, gap=4.0)
    print("\n" + "\n".join(report.lines()))
    assert report.acknowledged > 20, "too few feedback submissions to prove anything"
    assert report.lost == [] and report.doubled == []
    assert report.acknowledged == report.rows, "every stored submission was acknowledged, and only once"
    assert report.unexpected_5xx == []
    assert report.connection_errors_get == 0
    assert report.feedback_503_answers_lost == 0
    assert report.import_ok, report.import_seconds
    assert report.problems == []
    assert [w.name for w in report.windows] == [
        "SIGKILL app1 + start", "rolling restart", "PostgreSQL restart", "Redis stop + start",
        "import adding a response",
    ]


def _hidden_fields(html: str) -> dict[str, str]:
    form = BeautifulSoup(html, "html.parser").select_one("main form")
    return {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}


def test_sigterm_finishes_a_feedback_post_in_flight(tmp_path):
    """A feedback form half-sent when the instance is told to stop is still stored and
    answered with the thank-you redirect, and the instance then exits cleanly. (New
    requests must not reach a stopping instance: the kernel still queues connections
    until its last worker exits. The load balancer drains it first; see docs/deploy.md.)"""
    require_programs()
    from bench.services import Instance

    database = f"sqlite:///{tmp_path / 'graceful.sqlite3'}"
    env = {**os.environ, "FLASK_APP": "webapp:create_app", "DATABASE_URL": database,
           "SECRET_KEY": "graceful-" + "s" * 40, "FEEDBACK_MIN_FILL_SECONDS": "0", "LOG_LEVEL": "WARNING"}
    subprocess.run([str(Path(sys.executable).parent / "flask"), "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    instance = Instance("graceful", env, tmp_path)
    instance.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=10)
        connection.request("GET", "/feedback")
        form_page = connection.getresponse()
        cookie = form_page.getheader("Set-Cookie").split(";", 1)[0]
        hidden = _hidden_fields(form_page.read().decode())
        connection.close()

        body = urlencode({**hidden, "rating": "2", "improvement": "Sent while the server stopped"}).encode()
        sock = socket.create_connection(("127.0.0.1", instance.port), timeout=15)
        sock.sendall(
            b"POST /feedback HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {len(body)}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n".encode()
            + body[: len(body) // 2]
        )
        time.sleep(0.5)  # the worker is now reading the body
        instance.process.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        sock.sendall(body[len(body) // 2:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        sock.close()
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.split()[1] == b"303", answer[:400]
        assert b"\r\nLocation: /feedback/thank-you" in b"\r\n" + rest
        assert instance.process.wait(timeout=30) == 0
    finally:
        instance.stop()

    import sqlite3

    with sqlite3.connect(tmp_path / "graceful.sqlite3") as stored:
        rows = stored.execute("SELECT rating, improvement FROM feedback").fetchall()
    assert rows == [(2, "Sent while the server stopped")]


def test_a_production_instance_passes_the_load_balancers_health_check(tmp_path):
    """In production an instance answers 400 to any host but SITE_URL's, so HAProxy's
    health check from deploy/haproxy.cfg must name that host (FOI_SITE_HOST): otherwise
    every instance fails its check and the whole site is out of the pool."""
    require_programs()
    from bench.services import Instance, LoadBalancer, http_status, wait_until

    env = {**os.environ, "FLASK_APP": "webapp:create_app", "APP_ENV": "production",
           "SECRET_KEY": "production-" + "s" * 40, "SITE_URL": "https://foi.example.org",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}", "LOG_LEVEL": "WARNING"}
    subprocess.run([str(Path(sys.executable).parent / "flask"), "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    instance = Instance("production", env, tmp_path)
    instance.start(wait=False)
    balancer = None
    try:
        wait_until(lambda: http_status(instance.url + "/healthz", host="foi.example.org") == 200, 30,
                   "the production instance")
        assert http_status(instance.url + "/healthz") == 400, "production must refuse another host"
        balancer = LoadBalancer([instance.address] * 3, tmp_path, site_host="foi.example.org")
        balancer.start()
        # HAProxy starts with its servers up; their checks decide within a few seconds.
        wait_until(lambda: all(s["check_status"] in ("L7OK", "L7STS") for s in balancer.servers().values()),
                   15, "HAProxy's first health checks")
        time.sleep(2.5)  # past `fall 2` at `inter 1s`: a failing check would have taken them out
        servers = balancer.servers()
        assert {name: (s["status"], s["check_status"]) for name, s in servers.items()} == {
            name: ("UP", "L7OK") for name in servers
        }, balancer.read_log()
        assert http_status(balancer.url + "/healthz", host="foi.example.org") == 200
    finally:
        if balancer:
            balancer.stop()
        instance.stop()
