"""Serving with several workers: in development every worker agrees on one SECRET_KEY
(generated once into the instance folder), so a form served by one worker is accepted
by another; production still refuses to start without SECRET_KEY. And a gevent worker
takes turns: a connection with requests waiting does not hold it from the others."""

from __future__ import annotations

import contextlib
import http.client
import multiprocessing
import os
import platform
import re
import subprocess
import sys
import time
from collections import Counter
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, text

from bench.services import free_port, serves
from webapp import config
from webapp.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"


# The development key -------------------------------------------------------------------


def test_development_key_is_made_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")
    first = config.load({})["SECRET_KEY"]
    assert len(first) == 64
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text().strip() == first
    assert key_file.stat().st_mode & 0o777 == 0o600  # readable by its owner only
    assert config.load({})["SECRET_KEY"] == first  # a restart keeps it
    assert sorted(p.name for p in key_file.parent.iterdir()) == ["secret_key"]  # no temporary files left


def test_an_explicit_secret_key_wins_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")
    assert config.load({"SECRET_KEY": "k" * 40})["SECRET_KEY"] == "k" * 40
    assert not (tmp_path / "instance").exists()


def _load_key(queue, barrier):
    barrier.wait()  # every process looks for the file at the same moment
    queue.put(config.load({})["SECRET_KEY"])


def test_processes_starting_together_agree_on_one_key(tmp_path, monkeypatch):
    """Workers forked together all find no key file; exactly one key must win."""
    for attempt in range(5):
        folder = tmp_path / f"instance-{attempt}"
        monkeypatch.setattr(config, "INSTANCE_DIR", folder)
        context = multiprocessing.get_context("fork")
        queue, barrier = context.Queue(), context.Barrier(8)
        processes = [context.Process(target=_load_key, args=(queue, barrier)) for _ in range(8)]
        for process in processes:
            process.start()
        keys = [queue.get(timeout=30) for _ in processes]
        for process in processes:
            process.join(timeout=30)
        assert len(set(keys)) == 1, keys
        assert (folder / "secret_key").read_text().strip() == keys[0]
        assert sorted(p.name for p in folder.iterdir()) == ["secret_key"]


@pytest.mark.parametrize("content", ["", "\n", "short"])
def test_an_unusable_key_file_refuses_to_start_and_says_what_to_do(tmp_path, monkeypatch, content):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    (tmp_path / "secret_key").write_text(content)
    with pytest.raises(ConfigError, match="delete it"):
        config.load({})


@pytest.mark.parametrize("variable", ["APP_ENV", "FLASK_ENV"])
def test_production_ignores_the_development_key_and_refuses_to_start(tmp_path, monkeypatch, variable):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    (tmp_path / "secret_key").write_text("d" * 64 + "\n")
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        config.load({variable: "production"})


# Two real gunicorn workers ----------------------------------------------------------------


def fetch(port: int, method: str, path: str, headers: dict, body: bytes | None = None):
    """One request on a fresh connection: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request(method, path, body=body, headers={**headers, "Connection": "close"})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def submit(port: int, text_sent: str) -> tuple[int, str]:
    """GET the form and POST it, each on its own connection. (status, Location)."""
    agent = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36"}
    status, headers, body = fetch(port, "GET", "/feedback?from=/", agent)
    assert status == 200
    cookie = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or []:
        cookie.load(header)
    form = BeautifulSoup(body, "html.parser").select_one("main form")
    fields = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
    fields.update(rating="2", improvement=text_sent)
    status, headers, _ = fetch(port, "POST", "/feedback", {
        **agent, "Cookie": f"session={cookie['session'].value}",
        "Content-Type": "application/x-www-form-urlencoded",
    }, urlencode(fields).encode())
    return status, headers.get("Location", "")


def served_by(access_log: Path) -> list[tuple[str, str]]:
    """(worker pid, request line) for each request in gunicorn's access log."""
    return re.findall(r"^<(\d+)> (\S+ \S+)", access_log.read_text(), re.M)


@pytest.fixture
def two_workers(tmp_path):
    """gunicorn with the shipped configuration and 2 workers, development mode, no SECRET_KEY."""
    database = tmp_path / "two-workers.sqlite3"
    env = {name: value for name, value in os.environ.items()
           if name not in {"SECRET_KEY", "SECRET_KEY_FALLBACKS", "APP_ENV", "FLASK_ENV", "FLASK_DEBUG"}}
    env.update({
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{database}",
        "FEEDBACK_MIN_FILL_SECONDS": "0",
        "FEEDBACK_RATE_LIMIT": "1000 per minute",
        "LOG_LEVEL": "WARNING",
    })
    subprocess.run([str(GUNICORN.parent / "flask"), "--app", "webapp:create_app", "db", "upgrade"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    access_log = tmp_path / "access.log"
    process = subprocess.Popen(
        [str(GUNICORN), "-c", str(GUNICORN_CONFIG), "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(m)s %(U)s",
         "webapp:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        if not serves(process, f"http://127.0.0.1:{port}/healthz", timeout=30):
            raise RuntimeError("gunicorn did not start: " + process.stderr.read().decode(errors="replace"))
        yield port, database, access_log
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_form_served_by_one_worker_is_accepted_by_the_other(two_workers):
    port, database, access_log = two_workers
    sent, crossed = [], 0
    # Until at least three forms were served by one worker and sent to the other
    # (the kernel picks the worker for each connection), 60 pairs at most.
    for number in range(60):
        text_sent = f"Two workers, form {number}"
        status, location = submit(port, text_sent)
        sent.append(text_sent)
        assert (status, location) == (303, "/feedback/thank-you?from=/"), f"form {number} was refused"
        time.sleep(0.05)  # the access log is written after the response
        feedback = [pid for pid, line in served_by(access_log) if line.startswith(("GET /feedback", "POST /feedback"))]
        crossed = sum(1 for get, post in zip(feedback[0::2], feedback[1::2], strict=False) if get != post)
        if number >= 11 and crossed >= 3:
            break
    assert crossed >= 3, "the kernel never sent a form's POST to the other worker: nothing was proved"
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            stored = [row[0] for row in connection.execute(text("SELECT improvement FROM feedback ORDER BY id"))]
    finally:
        engine.dispose()
    assert stored == sent


# Taking turns on a gevent worker --------------------------------------------------------


@contextlib.contextmanager
def served(app: str, workers: int, *options: str):
    """gunicorn with the shipped configuration and ``workers`` workers serving ``app`` (a
    WSGI app in tests/serving_apps.py), ``options`` added: its port."""
    port = free_port()
    process = subprocess.Popen(
        [str(GUNICORN), "-c", str(GUNICORN_CONFIG), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         *options, app],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        if not serves(process, f"http://127.0.0.1:{port}/up", timeout=30):
            raise RuntimeError("gunicorn did not start: " + process.stderr.read().decode(errors="replace"))
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def one_busy_worker(tmp_path):
    """One worker serving an app that holds the CPU for each request, with its access log."""
    access_log = tmp_path / "access.log"
    with served("tests.serving_apps:busy", 1, "--access-logfile", str(access_log), "--access-logformat", "%(U)s") as port:
        yield port, access_log


def test_a_connection_with_requests_waiting_does_not_keep_the_worker_from_others(one_busy_worker):
    """One client has four requests waiting on its kept-alive connection (sent together);
    another sends one while the first of those is being served. It is answered next, or
    at least before the first client's last two: not after all of them."""
    import socket

    port, access_log = one_busy_worker
    with socket.create_connection(("127.0.0.1", port)) as other, socket.create_connection(("127.0.0.1", port)) as eager:
        time.sleep(0.2)  # both connections accepted and waiting for a request
        eager.sendall(b"".join(f"GET /eager-{n} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for n in range(1, 5)))
        time.sleep(0.02)  # the first of them is being served
        other.sendall(b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
        for connection, answers in ((eager, 4), (other, 1)):
            received = b""
            connection.settimeout(10)
            while received.count(b"HTTP/1.1 200") < answers:
                received += connection.recv(65536)
    time.sleep(0.1)  # the access log is written after each response
    served = [line for line in access_log.read_text().split() if line.startswith(("/eager", "/other"))]
    assert sorted(served) == ["/eager-1", "/eager-2", "/eager-3", "/eager-4", "/other"]
    assert served.index("/other") <= 2, served


@pytest.fixture
def two_waiting_workers():
    """Two workers serving an app whose requests wait (as for a database) and answer with
    the worker's process id."""
    with served("tests.serving_apps:waits", 2) as port:
        yield port


def _connect_and_ask(port: int, count: int) -> list[str]:
    """``count`` clients connecting at once, then each asking once: the process id each
    was answered by."""
    clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(count)]
    try:
        for client in clients:
            client.connect()
        for client in clients:
            client.request("GET", "/")
        return [client.getresponse().read().decode() for client in clients]
    finally:
        for client in clients:
            client.close()


def test_clients_connecting_together_are_shared_between_the_workers(two_waiting_workers):
    """Four clients connect at once while every request waits (for a database, say). A
    worker holding a request takes no new connection while the other has a hand free:
    two each, whichever worker woke first. Without taking turns the first worker to wake
    accepted all four while its first request waited, and served them alone."""
    port = two_waiting_workers
    for _ in range(3):
        served = _connect_and_ask(port, 4)
        assert len(set(served)) == 2 and sorted(Counter(served).values()) == [2, 2], served


def test_a_worker_waiting_on_a_request_leaves_new_clients_to_a_free_one(two_waiting_workers):
    """While one worker's request waits 1.5 s, clients arriving one after another are all
    taken by the other, free, worker. Without taking turns both workers' loops are idle
    and either may take each one."""
    port = two_waiting_workers
    waiting = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        waiting.request("GET", "/long")
        time.sleep(0.2)  # its worker is waiting
        served = [_connect_and_ask(port, 1)[0] for _ in range(6)]
        held_by = waiting.getresponse().read().decode()
    finally:
        waiting.close()
    assert held_by not in served and len(set(served)) == 1, (held_by, served)


class Asking:
    """A kept-alive client asking for ``path`` again and again, ``pause`` seconds apart,
    in a thread of its own, until stopped: the process ids that answered it."""

    def __init__(self, port: int, path: str, pause: float):
        import threading

        self.port, self.path, self.pause = port, path, pause
        self.answered_by: list[str] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.ask, daemon=True)
        self.thread.start()
        while not self.answered_by:  # connected and answered once
            time.sleep(0.005)

    def ask(self):
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            while not self.stopped.is_set():
                client.request("GET", self.path)
                self.answered_by.append(client.getresponse().read().decode())
                self.stopped.wait(self.pause)
        finally:
            client.close()

    @property
    def worker(self) -> str:
        (pid,) = set(self.answered_by)  # a kept-alive connection stays with one worker
        return pid

    def stop(self):
        self.stopped.set()
        self.thread.join(timeout=10)


@contextlib.contextmanager
def asking(port: int, *clients: tuple[str, float]):
    """Kept-alive clients (path, pause) connecting one after another, each once answered
    before the next connects; stopped on leaving."""
    started: list[Asking] = []
    try:
        for path, pause in clients:
            started.append(Asking(port, path, pause))
        yield started
    finally:
        for client in started:
            client.stop()


def test_a_new_client_goes_to_the_worker_with_fewer_connections_in_use(two_waiting_workers):
    """One worker serves a client whose requests each wait 30 ms, one after another, so it
    is nearly always busy; the other serves two clients asking quick questions a
    millisecond apart, so it often has a hand free. A new client is left to the busy worker,
    which holds fewer connections in use, and taken by it within its request's time.
    Without the tally the free worker took every one, and kept-alive clients piled up on
    the worker whose requests ended sooner (3 + 1 in the search benchmark)."""
    port = two_waiting_workers
    with asking(port, ("/?seconds=0.03", 0), ("/?seconds=0", 0.001), ("/?seconds=0", 0.001)) as (slow, *quick):
        busy = slow.worker
        assert all(client.worker != busy for client in quick), "the quick clients did not land on the free worker"
        served = []
        for _ in range(5):
            time.sleep(0.05)  # the last new client's close is seen
            served.append(_connect_and_ask_for(port, "/?seconds=0"))
    assert served == [busy] * 5, (busy, served)


def test_idle_kept_alive_connections_do_not_count_as_in_use(two_waiting_workers):
    """One worker serves a client whose requests each wait 60 ms; the other holds three
    kept-alive connections that have asked nothing for a while. A new client is taken
    by the worker whose connections are idle, at once: they cost it nothing. (Counting
    every open connection, it was left to the busy worker.)"""
    port = two_waiting_workers
    idle = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(3)]
    try:
        with asking(port, ("/?seconds=0.06", 0)) as (slow,):
            holding = _place_while_idle(idle, slow.worker)
            time.sleep(0.2)
            served = [_connect_and_ask_for(port, "/?seconds=0") for _ in range(5)]
    finally:
        for connection in idle:
            connection.close()
    assert set(served) == {holding}, (holding, slow.worker, served)


def _place_while_idle(connections: list[http.client.HTTPConnection], busy: str) -> str:
    """Each connection asks once, 0.2 s after the last did (so that one is idle): the
    process id of the worker all of them landed on, which is not ``busy``."""
    placed = set()
    for connection in connections:
        time.sleep(0.2)
        connection.request("GET", "/?seconds=0")
        placed.add(connection.getresponse().read().decode())
    assert len(placed) == 1 and busy not in placed, f"the idle connections did not all land on the free worker: {placed}"
    return placed.pop()


def test_a_worker_with_two_more_kept_alive_clients_in_use_hands_one_over(two_waiting_workers):
    """One worker serves a kept-alive client whose requests each wait 30 ms; three
    kept-alive connections, placed on the other worker while idle, then all start
    asking quick questions a millisecond apart: three in use against one. That worker
    closes one of them after a response (``Connection: close``), and the client's next
    connection is taken by the first worker: two each, in the end. (Without it the three stayed
    where they had connected for as long as they asked, as four search clients once
    split 3 + 1 for a whole benchmark run.)"""
    import threading

    port = two_waiting_workers
    quick = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(3)]
    answered_by: list[list[str]] = [[] for _ in quick]
    closed = [0 for _ in quick]
    stop = threading.Event()

    def keep_asking(number: int):
        while not stop.is_set():
            quick[number].request("GET", "/?seconds=0")
            response = quick[number].getresponse()
            answered_by[number].append(response.read().decode())
            closed[number] += response.getheader("Connection", "").lower() == "close"
            stop.wait(0.001)

    try:
        with asking(port, ("/?seconds=0.03", 0)) as (slow,):
            placed = _place_while_idle(quick, slow.worker)
            threads = [threading.Thread(target=keep_asking, args=(number,), daemon=True) for number in range(3)]
            for thread in threads:
                thread.start()
            time.sleep(0.5)
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
    finally:
        for connection in quick:
            connection.close()
    last = Counter(answers[-1] for answers in answered_by)
    assert last == Counter({placed: 2, slow.worker: 1}), (last, closed)
    assert sum(closed) >= 1, closed  # more than one when a reconnection was taken back (under load)


def test_clients_asking_once_per_connection_do_not_count_as_in_use(two_waiting_workers):
    """One worker serves a kept-alive client whose requests each wait 60 ms; the other
    serves two clients that open a new connection for every question, each waiting
    50 ms, so both workers always hold a request. A new client is taken by the worker
    whose connections each ask once: however many of them it holds, they are not
    kept-alive clients that will stay with it. (Counting them, new clients were left
    to the worker with the kept-alive one, and `bench real_clients`, where every
    connection asks once, lost two thirds of its throughput to the waiting.)"""
    import threading

    port = two_waiting_workers
    stop = threading.Event()

    def ask_once_each_time():
        while not stop.is_set():
            _connect_and_ask_for(port, "/?seconds=0.05")

    with asking(port, ("/?seconds=0.06", 0)) as (slow,):
        churn = [threading.Thread(target=ask_once_each_time, daemon=True) for _ in range(2)]
        for thread in churn:
            thread.start()
        try:
            time.sleep(0.2)
            served = []
            for _ in range(5):
                time.sleep(0.05)
                served.append(_connect_and_ask_for(port, "/?seconds=0"))
        finally:
            stop.set()
            for thread in churn:
                thread.join(timeout=10)
    assert slow.worker not in served, (slow.worker, served)


def _connect_and_ask_for(port: int, path: str) -> str:
    """One new client asking for ``path`` once: the process id it was answered by."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        client.request("GET", path)
        return client.getresponse().read().decode()
    finally:
        client.close()


@pytest.fixture
def two_busy_workers():
    """Two workers serving an app that holds the CPU for each request."""
    with served("tests.serving_apps:busy", 2) as port:
        yield port


def test_a_new_client_is_served_while_kept_alive_clients_keep_every_worker_busy(two_busy_workers):
    """Eight kept-alive clients ask again as soon as they are answered, so both workers
    always have a request waiting; a client connecting then is still answered within
    a few requests' time. (A worker that stopped accepting whenever it started a
    request never took it: its kept-alive connections always got there first.)"""
    import threading

    port = two_busy_workers
    stop = threading.Event()

    def keep_asking():
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while not stop.is_set():
                client.request("GET", "/again")
                client.getresponse().read()
        finally:
            client.close()

    clients = [threading.Thread(target=keep_asking) for _ in range(8)]
    for client in clients:
        client.start()
    try:
        time.sleep(0.5)  # every worker busy
        waits = []
        for _ in range(3):
            began = time.perf_counter()
            status, _, _ = fetch(port, "GET", "/new", {})
            waits.append(time.perf_counter() - began)
            assert status == 200
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=30)
    # Each request holds a worker 0.05 s: eight clients ahead on two workers is 0.2 s.
    assert max(waits) < 1.5, waits


# Memory kept for the next response ------------------------------------------------------

# Compresses a page the way the app does, many times, in a process that has (or has not)
# run the worker's start-up hook from the shipped configuration; prints the page faults
# each compression cost.
COMPRESS_AND_COUNT_FAULTS = """
import resource, runpy, sys
import brotli
settings = runpy.run_path(sys.argv[1])
if sys.argv[2] == "worker":
    settings["post_worker_init"](None)
page = open(sys.argv[3], "rb").read()

def faults(times):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(times):
        brotli.compress(page, quality=5, lgwin=16)
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / times

faults(10)
print(faults(200))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the heap's top pad is a glibc setting")
def test_a_worker_keeps_the_memory_a_compressed_response_frees_for_the_next(tmp_path, client):
    """Without the pad, glibc hands the heap's top back after each compression and the
    next one faults it in again, page by page."""
    page = tmp_path / "page.html"
    page.write_bytes(client.get("/foi").data)
    assert len(page.read_bytes()) > 15_000

    def faults(hook: str) -> float:
        run = subprocess.run([sys.executable, "-c", COMPRESS_AND_COUNT_FAULTS, str(GUNICORN_CONFIG), hook, str(page)],
                             capture_output=True, text=True, check=True, cwd=ROOT)
        return float(run.stdout)

    assert faults("none") > 20  # what the pad is for: a fresh mapping for every response
    assert faults("worker") < 1
