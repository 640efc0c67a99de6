"""Issue 5: the feedback form under load, on SQLite and PostgreSQL.

gunicorn with 2 sync workers (rate limit raised, minimum fill time 0 for the run);
20 concurrent clients each GET the form (for the CSRF cookie and the tokens) then
POST it, 2,000 valid forms in all, every one with its own text. Afterwards the
table must hold exactly 2,000 rows, one per text: none duplicated or lost.
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

from bench.harness import BIN, ROOT, bench_env, gunicorn

SUBMISSIONS = 2000
CLIENTS = 20
TARGET_SQLITE = 300  # submissions per second
TOKEN = re.compile(rb'name="(csrf_token|form_token)" value="([^"]+)"')
SESSION_COOKIE = re.compile(rb"\r\nSet-Cookie: (session=[^;]+)", re.IGNORECASE)
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def request(netloc: str, raw: bytes) -> bytes:
    """Send one raw HTTP/1.1 request and read the whole response (gunicorn's sync
    workers close the connection after each one). A plain socket keeps the clients'
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
    common = f"Host: {netloc}\r\nUser-Agent: {USER_AGENT}\r\nAccept-Encoding: identity\r\nConnection: close\r\n"
    response = request(netloc, f"GET /feedback?from=/ HTTP/1.1\r\n{common}\r\n".encode())
    head, _, body = response.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        return False
    cookie = SESSION_COOKIE.search(head)
    fields = dict(TOKEN.findall(body))
    if cookie is None or len(fields) != 2:
        return False
    form = urlencode({
        "csrf_token": fields[b"csrf_token"].decode(), "form_token": fields[b"form_token"].decode(),
        "from": "/", "rating": "2", "improvement": text, "js": "on", "website": "",
    }).encode()
    response = request(netloc, (
        f"POST /feedback HTTP/1.1\r\n{common}Cookie: {cookie.group(1).decode()}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(form)}\r\n\r\n"
    ).encode() + form)
    head = response.partition(b"\r\n\r\n")[0]
    return head.startswith(b"HTTP/1.1 303") and b"\r\nLocation: /feedback/thank-you" in head


def client(args) -> int:
    """One of the concurrent clients: its share of the submissions, one after another."""
    netloc, texts = args
    return sum(1 for text in texts if submit_one(netloc, text))


def server_cpu_seconds(netloc: str) -> float:
    """CPU time (user + system) used so far by the gunicorn processes serving ``netloc``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
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
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            continue
    return total / ticks


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


def run_backend(label: str, database_url: str) -> tuple[float, int, bool]:
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
    shares = [texts[index::CLIENTS] for index in range(CLIENTS)]
    with gunicorn("webapp:create_app()", env) as base:
        netloc = urlsplit(base).netloc
        submit_one(netloc, f"Benchmark {run_id} warm-up")  # first render per worker
        with multiprocessing.get_context("fork").Pool(CLIENTS) as pool:
            cpu_before = server_cpu_seconds(netloc)
            started = time.perf_counter()
            accepted = sum(pool.map(client, [(netloc, share) for share in shares]))
            elapsed = time.perf_counter() - started
            cpu_ms = (server_cpu_seconds(netloc) - cpu_before) * 1000 / SUBMISSIONS
    rows, distinct, exact = count_rows(database_url, texts + [f"Benchmark {run_id} warm-up"])
    rate = SUBMISSIONS / elapsed
    ok = accepted == SUBMISSIONS and rows == SUBMISSIONS + 1 and distinct == rows and exact
    print(f"  {label:<11} {rate:7.0f} submissions/s   {accepted} of {SUBMISSIONS} accepted (303)   "
          f"rows {rows - 1} (+1 warm-up), distinct {distinct - 1}, exactly the texts sent: {exact}"
          f"   {'ok' if ok else 'ROWS WRONG'}")
    print(f"  {'':<11} server CPU {cpu_ms:.2f} ms per submission (GET + POST), "
          f"so about {2000 / cpu_ms:.0f} submissions/s on 2 otherwise idle cores;"
          f" load average now {os.getloadavg()[0]:.1f}")
    return rate, rows - 1, ok


def run(seconds: int = 20) -> bool:  # noqa: ARG001 - a fixed amount of work, not a duration
    print(f"Feedback form: {CLIENTS} concurrent clients send {SUBMISSIONS:,} valid forms (GET, then POST),")
    print("gunicorn 2 sync workers, rate limit raised, minimum fill time 0")
    sqlite_env = bench_env()
    sqlite_rate, _, sqlite_ok = run_backend("SQLite", sqlite_env["DATABASE_URL"])
    met = sqlite_ok and sqlite_rate >= TARGET_SQLITE
    postgres = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not postgres:
        print("  PostgreSQL  skipped: TEST_DATABASE_URL is not set")
    else:
        from webapp.database import scratch_schema

        with scratch_schema(postgres, "bench") as url:
            _, _, postgres_ok = run_backend("PostgreSQL", url)
        met = met and postgres_ok
    print(f"  target: SQLite ≥ {TARGET_SQLITE} submissions/s; exactly {SUBMISSIONS:,} rows on each database")
    return met
