"""The disclosure log at 100,000 responses.

1. Generate 100,000 fictional responses (deterministic) and import them: validation,
   Markdown rendering and the database writes, timed (target ≤ 60 s).
2. Search latency in-process for a fixed set of queries (target p95 ≤ 25 ms on SQLite),
   with pathological content among the 100,000: one response repeating one word 16,000
   times and one of about 1 MB, and searches for their words.
3. wrk throughput with gunicorn (2 sync workers) on a response page and on a search
   results page (target ≥ 2,000 req/s each).

Run it alone: ``flock /tmp/foi-bench.lock .venv/bin/python -m bench foi``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.harness import ROOT, bench_env, gunicorn, wrk

COUNT = 100_000
TARGET_IMPORT_S = 60.0
TARGET_P95_MS = 25.0
TARGET_RPS = 2000
REPEATS = 15

RESPONSE_PATH = "/foi/01.FOI.23.031828"
SEARCH_PATH = "/foi?" + urlencode({"q": "hovercraft Harbourtown", "outcome": "disclosed-in-full"})


# The fixed set of searches, as the log's addresses: parsed exactly as the site parses them
# (so words are most relevant first, as on the site).
QUERIES = {
    "browse newest": "",
    "browse page 2,000": "page=2000",
    "one word": "q=hovercraft",
    "rare word": "q=unicorn",
    "two words": "q=penguins+Harbourtown",
    "common word, newest": "q=cost&sort=newest",
    "common word": "q=cost",
    "three words": "q=pigeon+messaging+Eastbrook",
    "words + outcome": "q=kites&outcome=refused&outcome=disclosed-in-part",
    "topic": "topic=drones",
    "exemption + dates": "exemption=40(2)&published-from-day=1&published-from-month=1&published-from-year=2021"
                         "&published-to-day=31&published-to-month=12&published-to-year=2022",
    "everything": "q=submarine&topic=training&topic=custody&outcome=not-held&published-from-day=1"
                  "&published-from-month=1&published-from-year=2020&sort=oldest",
    "no match": "q=zeppelin",
    # Pathological content (PATHOLOGICAL below): both are the newest responses, so they
    # are on the first page of every search that matches them.
    "word ×16,000": "q=" + "kennelling",
    "word ×16,000, newest": "q=kennelling&sort=newest",
    "1 MB response": "q=filibuster",
    "1 MB, common word": "q=cost&sort=relevance",
}


def pathological() -> list[tuple[dict, str]]:
    """Two responses whose search cost must stay bounded: a word repeated 16,000 times in
    one answer, and a file of about 1 MB (five answers of 195,000 characters, the
    searched-for words at the start, the end and throughout)."""
    def meta(reference, title, questions, answers):
        return {
            "reference": reference, "title": title, "summary": "Pathological content for the benchmark.",
            "published": "2026-11-28", "received": "2026-11-01", "responded": "2026-11-20", "regime": "FOIA",
            "outcome": "disclosed in full", "topics": ["Finance and procurement"],
            "questions": questions, "answers": answers,
        }

    body = "I have today decided to disclose the located information to you in full."
    repeated = meta("BENCH-REPEAT", "Kennelling repeated", ["What is kennelling?"],
                    [{"questions": [1], "text": "kennelling " * 16_000}])
    filler = ("filibuster cost lorem ipsum dolor sit amet consectetur " * 3_600)[:194_990]
    large = meta("BENCH-1MB", "A one megabyte response", [f"Question {n}?" for n in range(1, 6)],
                 [{"questions": [n], "text": filler + " filibuster"} for n in range(1, 6)])
    return [(repeated, body), (large, body)]


def queries(engine):
    from werkzeug.datastructures import MultiDict
    from urllib.parse import parse_qsl

    from webapp.foi.catalogue import facets
    from webapp.foi.query import parse

    available = facets(engine, "bench")
    parsed = {}
    for name, qs in QUERIES.items():
        result = parse(MultiDict(parse_qsl(qs)), available.topics, available.exemptions)
        assert not result.errors, (name, result.errors)
        parsed[name] = result.query
    return parsed


def run(seconds: int = 20) -> bool:
    from webapp import create_app
    from webapp.database import upgrade
    from webapp.extensions import db
    from webapp.foi.cli import generate
    from webapp.foi.content import validate
    from webapp.foi.publish import import_path, publish
    from webapp.foi.search import backend_for

    env = bench_env()
    app = create_app({"DATABASE_URL": env["DATABASE_URL"], "SECRET_KEY": env["SECRET_KEY"]})
    with app.app_context():
        engine = db.engine
        upgrade(engine)
        import_path(engine, ROOT / "content" / "foi")

        started = time.perf_counter()
        records = list(generate(COUNT - 2)) + pathological()
        generated = time.perf_counter() - started

        started = time.perf_counter()
        documents = [validate(meta, body, source=f"generated/{meta['reference']}.md") for meta, body in records]
        bad = [d for d in documents if isinstance(d, list)]
        validated = time.perf_counter() - started
        report = publish(engine, [d for d in documents if not isinstance(d, list)])
        imported = time.perf_counter() - started

        started = time.perf_counter()
        again = publish(engine, [d for d in documents if not isinstance(d, list)])
        reimported = time.perf_counter() - started

        backend = backend_for(engine)
        timings: dict[str, list[float]] = {}
        totals = {}
        for name, query in queries(engine).items():
            backend.search(query)  # warm the page cache of the database file
            for _ in range(REPEATS):
                began = time.perf_counter()
                page = backend.search(query)
                timings.setdefault(name, []).append((time.perf_counter() - began) * 1000)
            totals[name] = page.total
    every = sorted(t for values in timings.values() for t in values)
    p50 = statistics.median(every)
    p95 = every[int(len(every) * 0.95) - 1]

    print(f"FOI disclosure log at {COUNT:,} responses ({backend.name})")
    print(f"  generate       {generated:6.1f} s  ({COUNT:,} fictional records)")
    print(f"  import         {imported:6.1f} s  (validate + render {validated:.1f} s, then the database; "
          f"{report.added:,} added, {len(bad)} invalid; target ≤ {TARGET_IMPORT_S:.0f} s)")
    print(f"  re-import      {reimported:6.1f} s  ({again.unchanged:,} unchanged: nothing written)")
    print(f"  search         p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   (target p95 ≤ {TARGET_P95_MS:.0f} ms; "
          f"{len(every)} searches)")
    for name, values in timings.items():
        values.sort()
        print(f"    {name:22s} median {statistics.median(values):6.2f} ms   max {values[-1]:6.2f} ms   {totals[name]:>7,} results")
    sys.stdout.flush()
    engine.dispose()  # gunicorn's workers open their own connections
    try:
        with gunicorn("webapp:create_app()", env) as base:
            for path in (RESPONSE_PATH, SEARCH_PATH):
                # Each worker's first request builds the filter lists: warm up, not measured.
                wrk(base + path, 3, connections=4)
            response_result = wrk(base + RESPONSE_PATH, seconds)
            search_result = wrk(base + SEARCH_PATH, seconds)
    finally:
        engine.dispose()
        database = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
        for leftover in database.parent.glob(database.name + "*"):
            leftover.unlink()  # about 430 MB

    print("  gunicorn 2 sync workers, wrk -t2 -c16")
    print(f"    {RESPONSE_PATH:38s} {response_result.line()}")
    print(f"    {SEARCH_PATH:38s} {search_result.line()}")
    return (
        imported <= TARGET_IMPORT_S and not bad and p95 <= TARGET_P95_MS
        and response_result.requests_per_second >= TARGET_RPS
        and search_result.requests_per_second >= TARGET_RPS
        and not response_result.errors and not search_result.errors
    )
