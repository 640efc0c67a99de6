"""The feedback form under load, on SQLite and PostgreSQL.

gunicorn with the shipped configuration (rate limit raised, minimum fill time 0 for the run);
20 concurrent clients each GET the form (for the CSRF cookie and the tokens) then
POST it, 2,000 valid forms in all, every one with its own text. Afterwards the
table must hold exactly 2,000 rows, one per text: none duplicated or lost.

Two figures judge the rate, both against the ceiling (a trivial app replaying the form
page and the 303) measured in the same run, before and after: submissions/s as a share
of the same clients' submissions/s against it (the target), and GET + POST pairs/s as a
share of its req/s under wrk (keep-alive, as every other benchmark measures the ceiling),
so the figure can be set beside the pages' on any machine.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import socket
import subprocess
import time
import uuid
from urllib.parse import urlencode, urlsplit

from bench.harness import BIN, ROOT, SERVER, bench_env, ceiling, gunicorn, wrk

SUBMISSIONS = 2000
CLIENTS = 20
CEILING_WRK_SECONDS = 5
# Submissions per second on SQLite, as a share of the same clients' rate against the
# ceiling (a trivial app replaying the form and the redirect) in the same run.
TARGET_RATIO_SQLITE = 0.15
TOKEN = re.compile(rb'name="(csrf_token|form_token)" value="([^"]+)"')
SESSION_COOKIE = re.compile(rb"\r\nSet-Cookie: (session=[^;]+)", re.IGNORECASE)
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def request(netloc: str, raw: bytes) -> bytes:
    """Send one raw HTTP/1.1 request (``Connection: close``) and read the whole response. A plain socket keeps the clients'
    own CPU small on a shared 2-core machine, so the figure is the server's."""
    host, port = netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def submit_one(netloc: str, text: str) -> bool:
    """One person: GET the form, POST it with a rating and their text. True on 303."""
    return exchange(netloc, text)[0]


def exchange(netloc: str, text: str) -> tuple[bool, bytes, bytes]:
    """GET the form and POST it: (accepted with a 303, the GET's response, the POST's)."""
    common = f"Host: {netloc}\r\nUser-Agent: {USER_AGENT}\r\nAccept-Encoding: identity\r\nConnection: close\r\n"
    response = request(netloc, f"GET /feedback?from=/ HTTP/1.1\r\n{common}\r\n".encode())
    form_page = response
    head, _, body = response.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        return False, form_page, b""
    cookie = SESSION_COOKIE.search(head)
    fields = dict(TOKEN.findall(body))
    if cookie is None or len(fields) != 2:
        return False, form_page, b""
    form = urlencode({
        "csrf_token": fields[b"csrf_token"].decode(), "form_token": fields[b"form_token"].decode(),
        "from": "/", "rating": "2", "improvement": text, "js": "on", "website": "",
    }).encode()
    response = request(netloc, (
        f"POST /feedback HTTP/1.1\r\n{common}Cookie: {cookie.group(1).decode()}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(form)}\r\n\r\n"
    ).encode() + form)
    head = response.partition(b"\r\n\r\n")[0]
    accepted = head.startswith(b"HTTP/1.1 303") and b"\r\nLocation: /feedback/thank-you" in head
    return accepted, form_page, response


def stored(raw: bytes) -> dict:
    """A raw response as ``bench.ceiling`` replays it."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = [tuple(line.split(": ", 1)) for line in lines]
    return {
        "status": status_line.split(" ", 1)[1],
        "headers": [(name, value) for name, value in headers
                    if name.lower() not in {"date", "server", "connection", "transfer-encoding"}],
        "body": body.decode("utf-8"),
    }


def client(args) -> int:
    """One of the concurrent clients: its share of the submissions, one after another."""
    netloc, texts = args
    return sum(1 for text in texts if submit_one(netloc, text))


def server_cpu_seconds(netloc: str) -> float:
    """CPU time (user + system) used so far by the gunicorn processes serving ``netloc``."""
    return sum(server_cpu_by_process(netloc).values())


def server_cpu_by_process(netloc: str) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each gunicorn process serving
    ``netloc`` (the arbiter and its workers), by process id."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read()
            if b"gunicorn" not in cmdline or netloc.encode() not in cmdline:
                continue
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            used[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        except OSError:
            continue
    return used


def server_workers(netloc: str) -> set[int]:
    """The process ids of the gunicorn workers serving ``netloc`` (not the arbiter)."""
    parents = {}
    for pid in server_cpu_by_process(netloc):
        try:
            with open(f"/proc/{pid}/stat") as handle:
                parents[pid] = int(handle.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
    return {pid for pid, parent in parents.items() if parent in parents}


def count_rows(database_url: str, texts: list[str]) -> tuple[int, int, bool]:
    from sqlalchemy import create_engine, text

    from webapp.database import normalise_url

    engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as connection:
            stored = [row[0] for row in connection.execute(text("SELECT improvement FROM feedback"))]
    finally:
        engine.dispose()
    return len(stored), len(set(stored)), sorted(stored) == sorted(texts)


def send_all(netloc: str, texts: list[str]) -> tuple[int, float]:
    """Every text sent by the concurrent clients: (accepted, seconds)."""
    shares = [texts[index::CLIENTS] for index in range(CLIENTS)]
    with multiprocessing.get_context("fork").Pool(CLIENTS) as pool:
        started = time.perf_counter()
        accepted = sum(pool.map(client, [(netloc, share) for share in shares]))
        return accepted, time.perf_counter() - started


def ceiling_rate(exchanged: tuple[bytes, bytes]) -> tuple[float, float]:
    """The ceiling: the same server configuration, a trivial app replaying the form page
    for GET and the 303 for POST. (Submissions per second from the same clients, its
    req/s under wrk -t2 -c16 asking for the form page.)"""
    replayed = {"GET": stored(exchanged[0]), "POST": stored(exchanged[1])}
    with ceiling(replayed, bench_env()) as url:
        netloc = urlsplit(url).netloc
        accepted, elapsed = send_all(netloc, [f"ceiling {number}" for number in range(SUBMISSIONS)])
        requests_per_second = wrk(url + "/", CEILING_WRK_SECONDS).requests_per_second
    if accepted != SUBMISSIONS:
        raise RuntimeError(f"the ceiling accepted {accepted} of {SUBMISSIONS}")
    return SUBMISSIONS / elapsed, requests_per_second


def run_backend(label: str, database_url: str) -> tuple[float, bool, list[tuple[float, float]]]:
    """Send the forms to the app on ``database_url``: (submissions/s, every row right,
    the ceiling's submissions/s and req/s measured just before and just after)."""
    env = bench_env(
        DATABASE_URL=database_url,
        FEEDBACK_RATE_LIMIT="1000000 per minute",
        FEEDBACK_MIN_FILL_SECONDS="0",
    )
    env.setdefault("FLASK_APP", "webapp:create_app")
    subprocess.run([str(BIN / "flask"), "--app", "webapp:create_app", "db", "upgrade"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    run_id = uuid.uuid4().hex[:8]
    texts = [f"Benchmark {run_id} submission {number:04d}" for number in range(SUBMISSIONS)]
    with gunicorn("webapp:create_app()", env) as base:
        netloc = urlsplit(base).netloc
        _, *exchanged = exchange(netloc, f"Benchmark {run_id} warm-up")  # first render per worker
        ceilings = [ceiling_rate(exchanged)]
        cpu_before = server_cpu_seconds(netloc)
        accepted, elapsed = send_all(netloc, texts)
        cpu_ms = (server_cpu_seconds(netloc) - cpu_before) * 1000 / SUBMISSIONS
        ceilings.append(ceiling_rate(exchanged))
    rows, distinct, exact = count_rows(database_url, texts + [f"Benchmark {run_id} warm-up"])
    rate = SUBMISSIONS / elapsed
    ok = accepted == SUBMISSIONS and rows == SUBMISSIONS + 1 and distinct == rows and exact
    print(f"  {label:<11} {rate:7.0f} submissions/s   {accepted} of {SUBMISSIONS} accepted (303)   "
          f"rows {rows - 1} (+1 warm-up), distinct {distinct - 1}, exactly the texts sent: {exact}"
          f"   {'ok' if ok else 'ROWS WRONG'}")
    print(f"  {'':<11} server CPU {cpu_ms:.2f} ms per submission (GET + POST), "
          f"so about {2000 / cpu_ms:.0f} submissions/s on 2 otherwise idle cores;"
          f" load average now {os.getloadavg()[0]:.1f}")
    return rate, ok, ceilings


def print_pairs_ratio(label: str, rate: float, ceilings: list[tuple[float, float]]) -> None:
    """GET + POST pairs per second as a share of the ceiling's req/s under wrk."""
    requests_per_second = sum(rps for _, rps in ceilings) / len(ceilings)
    print(f"  {'':<11} {label}: {rate:.0f} GET + POST pairs/s = {rate / requests_per_second:.4f} × the ceiling's "
          f"req/s ({requests_per_second:,.0f}: wrk -t2 -c16 {CEILING_WRK_SECONDS} s on the ceiling replaying the form, "
          f"{ceilings[0][1]:,.0f} before, {ceilings[1][1]:,.0f} after)")


def run(seconds: int = 20) -> bool:  # noqa: ARG001 - a fixed amount of work, not a duration
    print(f"Feedback form: {CLIENTS} concurrent clients send {SUBMISSIONS:,} valid forms (GET, then POST, "
          "a connection each),")
    print(f"{SERVER}, rate limit raised, minimum fill time 0")
    sqlite_env = bench_env()
    sqlite_rate, sqlite_ok, ceilings = run_backend("SQLite", sqlite_env["DATABASE_URL"])
    bare = sum(rate for rate, _ in ceilings) / len(ceilings)
    ratio = sqlite_rate / bare
    print(f"  {'ceiling':<11} {bare:7.0f} submissions/s   (the same clients; a trivial app replaying the "
          f"form and the 303; {ceilings[0][0]:.0f} before, {ceilings[1][0]:.0f} after)")
    print(f"  {'':<11} SQLite at {ratio:.2f} × the ceiling (target ≥ {TARGET_RATIO_SQLITE})")
    print_pairs_ratio("SQLite", sqlite_rate, ceilings)
    met = sqlite_ok and ratio >= TARGET_RATIO_SQLITE
    postgres = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not postgres:
        print("  PostgreSQL  skipped: TEST_DATABASE_URL is not set")
    else:
        from webapp.database import scratch_schema

        with scratch_schema(postgres, "bench") as url:
            postgres_rate, postgres_ok, postgres_ceilings = run_backend("PostgreSQL", url)
        postgres_bare = sum(rate for rate, _ in postgres_ceilings) / len(postgres_ceilings)
        print(f"  {'':<11} PostgreSQL at {postgres_rate / postgres_bare:.2f} × its ceiling "
              f"({postgres_ceilings[0][0]:.0f} before, {postgres_ceilings[1][0]:.0f} after)")
        print_pairs_ratio("PostgreSQL", postgres_rate, postgres_ceilings)
        met = met and postgres_ok
    print(f"  target: SQLite ≥ {TARGET_RATIO_SQLITE} × the ceiling's submissions/s; exactly {SUBMISSIONS:,} rows "
          "on each database")
    return met
