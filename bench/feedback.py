"""Issue 5: the feedback form under load, on SQLite and PostgreSQL.

gunicorn with 2 sync workers (rate limit raised, minimum fill time 0 for the run);
20 concurrent clients each GET the form (for the CSRF cookie and the tokens) then
POST it, 2,000 valid forms in all, every one with its own text. Afterwards the
table must hold exactly 2,000 rows, one per text: none duplicated or lost.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import re
import subprocess
import time
import uuid
from urllib.parse import urlencode, urlsplit

from bench.harness import BIN, ROOT, bench_env, gunicorn

SUBMISSIONS = 2000
CLIENTS = 20
TARGET_SQLITE = 300  # submissions per second
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
NAME = re.compile(r'name="([^"]+)"')
VALUE = re.compile(r'value="([^"]*)"')
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def request(netloc: str, method: str, path: str, headers: dict, body: str | None = None):
    connection = http.client.HTTPConnection(netloc, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def submit_one(netloc: str, text: str) -> bool:
    """One person: GET the form, POST it with a rating and their text. True on 303."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    status, response_headers, body = request(netloc, "GET", "/feedback?from=/", headers)
    if status != 200:
        return False
    cookie = next(
        (value.split(";", 1)[0] for name, value in response_headers
         if name.lower() == "set-cookie" and value.startswith("session=")),
        None,
    )
    fields = {}
    for tag in HIDDEN.findall(body.decode("utf-8")):
        name, value = NAME.search(tag), VALUE.search(tag)
        if name:
            fields[name.group(1)] = value.group(1).replace("&#34;", '"').replace("&amp;", "&") if value else ""
    fields.update(rating="2", improvement=text, js="on")
    post_headers = {
        **headers, "Cookie": cookie or "", "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"http://{netloc}", "Referer": f"http://{netloc}/feedback",
    }
    status, response_headers, _ = request(netloc, "POST", "/feedback", post_headers, urlencode(fields))
    location = dict((name.lower(), value) for name, value in response_headers).get("location", "")
    return status == 303 and location.startswith("/feedback/thank-you")


def client(args) -> int:
    """One of the concurrent clients: its share of the submissions, one after another."""
    netloc, texts = args
    return sum(1 for text in texts if submit_one(netloc, text))


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
            started = time.perf_counter()
            accepted = sum(pool.map(client, [(netloc, share) for share in shares]))
            elapsed = time.perf_counter() - started
    rows, distinct, exact = count_rows(database_url, texts + [f"Benchmark {run_id} warm-up"])
    rate = SUBMISSIONS / elapsed
    ok = accepted == SUBMISSIONS and rows == SUBMISSIONS + 1 and distinct == rows and exact
    print(f"  {label:<11} {rate:7.0f} submissions/s   {accepted} of {SUBMISSIONS} accepted (303)   "
          f"rows {rows - 1} (+1 warm-up), distinct {distinct - 1}, exactly the texts sent: {exact}"
          f"   {'ok' if ok else 'ROWS WRONG'}")
    return rate, rows - 1, ok


def postgres_schema_url() -> tuple[str, callable] | None:
    base = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not base:
        return None
    from sqlalchemy import create_engine, text

    from webapp.database import normalise_url

    base = normalise_url(base)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop():
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}", drop


def run(seconds: int = 20) -> bool:  # noqa: ARG001 - a fixed amount of work, not a duration
    print(f"Feedback form: {CLIENTS} concurrent clients send {SUBMISSIONS:,} valid forms (GET, then POST),")
    print("gunicorn 2 sync workers, rate limit raised, minimum fill time 0")
    sqlite_env = bench_env()
    sqlite_rate, _, sqlite_ok = run_backend("SQLite", sqlite_env["DATABASE_URL"])
    met = sqlite_ok and sqlite_rate >= TARGET_SQLITE
    postgres = postgres_schema_url()
    if postgres is None:
        print("  PostgreSQL  skipped: TEST_DATABASE_URL is not set")
    else:
        url, drop = postgres
        try:
            _, _, postgres_ok = run_backend("PostgreSQL", url)
        finally:
            drop()
        met = met and postgres_ok
    print(f"  target: SQLite ≥ {TARGET_SQLITE} submissions/s; exactly {SUBMISSIONS:,} rows on each database")
    return met
