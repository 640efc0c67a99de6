"""The reference deployment under load and faults: three instances behind HAProxy.

A private PostgreSQL and Redis (bench/services.py), three instances of the site (gunicorn),
and HAProxy started from ``deploy/haproxy.cfg`` as shipped. Locust's visitors
(bench/cluster_load.py) read, change consent and send feedback through the load balancer
while, in order: one instance is killed with SIGKILL and started again; every instance is
restarted in turn (drained on the load balancer, SIGTERM, started, back in the pool);
PostgreSQL is restarted (fast shutdown, start); Redis is stopped and started; and an import
adds a response. Then it prints, as figures:

- feedback: submissions acknowledged with the thank-you redirect, rows stored, lost and
  doubled (both must be 0);
- 5xx answers outside the fault windows (must be 0) and inside them (each must be a 503
  technical-problem page; the feedback form's keeps the visitor's answers), connection
  errors passed to visitors;
- the seconds until all three instances serve the imported response (target:
  FOI_VERSION_TTL + 1 s);
- reader latency p50/p99 through the load balancer; throughput through it against one
  instance directly, as a ratio;
- per-worker memory at the start and the end.

``make test`` runs a short version (tests/test_cluster.py); ``make bench`` the soak:
``flock /tmp/bench.lock .venv/bin/python -m bench cluster`` (ten minutes: the faults
twice, two and a half minutes apart, then steady load while the workers' memory is watched).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bench.services import (
    BIN,
    ROOT,
    Instance,
    LoadBalancer,
    PrivatePostgres,
    PrivateRedis,
    ServiceError,
    http_status,
    unit_command,
    wait_until,
)

VERSION_TTL = 1.0
MIN_FILL_SECONDS = 2
GRACE_SECONDS = 1.5  # after a fault window: requests that were in flight when it closed
NEW_REFERENCE = "NMC-2026-9001"
SOAK_SECONDS = 600
SOAK_CYCLE_SECONDS = 150
THROUGHPUT_PATH = "/foi/01.FOI.23.031828"


@dataclass
class Window:
    name: str
    start: float
    end: float = 0.0


@dataclass
class Report:
    load_seconds: float
    acknowledged: int = 0
    rows: int = 0
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    stored_unacknowledged: list[str] = field(default_factory=list)
    gave_up: list[str] = field(default_factory=list)
    requests: int = 0
    unexpected_5xx: list[dict] = field(default_factory=list)
    expected_503: int = 0
    expected_503_from_site: int = 0
    feedback_503_answers_kept: int = 0
    feedback_503_answers_lost: int = 0
    connection_errors_get: int = 0
    connection_errors_post: int = 0
    import_seconds: dict[str, float] = field(default_factory=dict)
    import_target: float = VERSION_TTL + 1
    reader_p50_ms: float = 0.0
    reader_p99_ms: float = 0.0
    readers_measured: int = 0
    rps_balanced: float = 0.0
    rps_direct: float = 0.0
    memory_start: dict[str, list[float]] = field(default_factory=dict)
    memory_end: dict[str, list[float]] = field(default_factory=dict)
    memory_note: str = "at the start (after warming up) and at the end; restarted instances' workers are new"
    windows: list[Window] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def import_ok(self) -> bool:
        return len(self.import_seconds) == 3 and all(s <= self.import_target for s in self.import_seconds.values())

    @property
    def passed(self) -> bool:
        return (not self.lost and not self.doubled and not self.unexpected_5xx and self.acknowledged > 0
                and self.acknowledged == self.rows and not self.connection_errors_get
                and not self.feedback_503_answers_lost and self.import_ok and not self.problems)

    def lines(self) -> list[str]:
        def mb(values):
            return " ".join(f"{v:.0f}" for v in values) or "-"
        out = [f"Cluster: 3 instances x 2 workers behind HAProxy, PostgreSQL, Redis; {self.load_seconds:.0f} s of load"]
        out.append("  faults: " + "; ".join(f"{w.name} {w.end - w.start:.1f} s" for w in self.windows))
        out.append(f"  feedback: {self.acknowledged} acknowledged with the thank-you redirect, {self.rows} rows stored; "
                   f"lost {len(self.lost)}, doubled {len(self.doubled)}, stored but never acknowledged "
                   f"{len(self.stored_unacknowledged)}, given up by the visitor {len(self.gave_up)} (target: all 0, "
                   f"acknowledged == rows)")
        out.append(f"  answers: {self.requests} requests; 5xx outside fault windows or not the technical-problem "
                   f"page: {len(self.unexpected_5xx)} (target 0); 503 technical-problem pages inside windows: "
                   f"{self.expected_503} ({self.expected_503_from_site} of them the feedback form shown again by an instance)")
        out.append(f"  feedback 503s from the site with the answers kept: {self.feedback_503_answers_kept}, "
                   f"without: {self.feedback_503_answers_lost} (target 0); connection errors passed to visitors: "
                   f"GET {self.connection_errors_get} (target 0), POST {self.connection_errors_post}")
        served = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in sorted(self.import_seconds.items()))
        out.append(f"  import: the new response served by all three instances: {served or 'not served'} "
                   f"(target ≤ FOI_VERSION_TTL + 1 = {self.import_target:.1f} s)")
        out.append(f"  readers through the load balancer (outside fault windows, {self.readers_measured} requests): "
                   f"p50 {self.reader_p50_ms:.1f} ms, p99 {self.reader_p99_ms:.1f} ms")
        if self.rps_direct:
            out.append(f"  throughput {THROUGHPUT_PATH} (wrk -t2 -c16): through HAProxy to 3 instances "
                       f"{self.rps_balanced:.0f} req/s, one instance directly {self.rps_direct:.0f} req/s: "
                       f"ratio {self.rps_balanced / self.rps_direct:.2f} (same 2 cores for all)")
        out.append(f"  memory per worker, {self.memory_note}:")
        for name in sorted(self.memory_start):
            out.append(f"    {name}: workers' RSS at start {mb(self.memory_start[name])} MB, "
                       f"at end {mb(self.memory_end.get(name, []))} MB")
        for item in self.unexpected_5xx[:10]:
            out.append(f"    unexpected: {item}")
        for problem in self.problems[:10]:
            out.append(f"    problem: {problem}")
        for mark in self.lost[:5]:
            out.append(f"    lost: {mark}")
        return out


def cluster_env(postgres_url: str, redis_url: str, content: Path, site_url: str) -> dict[str, str]:
    """The settings every instance shares (see docs/deploy.md)."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "APP_", "TEST_"))},
        "FLASK_APP": "webapp:create_app",
        # Development mode only so that cookies are not marked Secure: the visitors speak
        # plain HTTP to the load balancer here. Everything else is as in production.
        "APP_ENV": "development",
        "SECRET_KEY": "cluster-" + "k" * 40,
        "SITE_URL": site_url,
        "DATABASE_URL": postgres_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": "cluster",
        # Every visitor comes from 127.0.0.1: a limit no person reaches, counted in Redis.
        "FEEDBACK_RATE_LIMIT": "100000 per minute",
        "FEEDBACK_MIN_FILL_SECONDS": str(MIN_FILL_SECONDS),
        "FOI_VERSION_TTL": str(VERSION_TTL),
        "FOI_CONTENT_DIR": str(content),
        "PROXY_FIX": "1",
        "LOG_LEVEL": "WARNING",
    }


def flask(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "flask"), *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen, what: str, timeout: float = 300) -> str:
    output = process.communicate(timeout=timeout)[0]
    if process.returncode:
        raise ServiceError(f"{what} failed ({process.returncode}):\n{output}")
    return output


def new_response_file(content: Path) -> Path:
    """A new, valid response file: a copy of a shipped one under a new reference,
    published today so it heads the log."""
    source = (content / "NMC-2024-0117.md").read_text(encoding="utf-8")
    text = re.sub(r"^reference: .*$", f"reference: {NEW_REFERENCE}", source, count=1, flags=re.M)
    text = re.sub(r"^title: .*$", "title: Cluster test response", text, count=1, flags=re.M)
    today = date.today().isoformat()
    for name in ("published", "responded"):
        text = re.sub(rf"^{name}: .*$", f"{name}: {today}", text, count=1, flags=re.M)
    text = re.sub(r"^(updated|change_note): .*\n", "", text, flags=re.M)
    target = content / f"{NEW_REFERENCE}.md"
    target.write_text(text, encoding="utf-8")
    return target


class Cluster:
    """Everything started, and stopped again on leaving the ``with`` block."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="foi-cluster-"))
        self.postgres = PrivatePostgres()
        self.redis = PrivateRedis()
        self.instances: list[Instance] = []
        self.balancer: LoadBalancer | None = None
        self.content = self.dir / "content"

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self.postgres.__enter__()
        url = self.postgres.create_database("foi")
        self.redis.start()
        shutil.copytree(ROOT / "content" / "foi", self.content)
        from bench.services import free_port
        lb_port = free_port()
        self.env = cluster_env(url, self.redis.url, self.content, f"http://127.0.0.1:{lb_port}")
        self.instances = [Instance(f"app{n}", self.env, self.dir) for n in (1, 2, 3)]
        # As the three units starting at once do: their ExecStartPre (`flask db upgrade`) together.
        upgrades = [subprocess.Popen(unit_command("ExecStartPre", i.port), cwd=ROOT, env=self.env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                    for i in self.instances]
        for process in upgrades:
            finish(process, "flask db upgrade")
        finish(flask(self.env, "foi", "import", str(self.content)), "flask foi import")
        for instance in self.instances:
            instance.start(wait=False)
        for instance in self.instances:
            instance.wait_healthy(60)
        self.balancer = LoadBalancer([i.address for i in self.instances], self.dir, site_host="127.0.0.1")
        self.balancer.port = lb_port
        self.balancer.env["FOI_LISTEN"] = f"127.0.0.1:{lb_port}"
        self.balancer.start()
        self.wait_all_up()

    def stop(self) -> None:
        if self.balancer:
            self.balancer.stop()
        for instance in self.instances:
            instance.stop()
        self.redis.__exit__()
        self.postgres.__exit__()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- the faults ----------------------------------------------------------------

    def wait_all_up(self, timeout: float = 60) -> None:
        wait_until(lambda: all(s["status"] == "UP" for s in self.balancer.servers().values()),
                   timeout, "HAProxy: every instance back in the pool", interval=0.1)

    def kill_and_restart(self, instance: Instance) -> None:
        instance.kill()
        instance.start()
        self.wait_all_up()

    def rolling_restart(self) -> None:
        """What an operator does for a deploy: for each instance in turn, drain it on the
        load balancer, wait for its requests to finish, SIGTERM, start, back in the pool."""
        for instance in self.instances:
            self.balancer.set_state(instance.name, "drain")
            wait_until(lambda name=instance.name: self.balancer.servers()[name]["scur"] == "0", 20,
                       f"{instance.name} drained", interval=0.05)
            instance.terminate()
            instance.start()
            self.balancer.set_state(instance.name, "ready")
            self.wait_all_up()

    def restart_postgres(self) -> None:
        self.postgres.restart()
        self.wait_all_up()

    def restart_redis(self, down_seconds: float = 3.0) -> None:
        self.redis.stop()
        time.sleep(down_seconds)
        self.redis.start()

    def import_new_response(self) -> dict[str, float]:
        """Add a response to the content folder, import it, and time how long each
        instance takes to serve it: its page, and the log listing it. The instances are
        asked at the same time, each by its own thread, from the moment the import ends."""
        new_response_file(self.content)
        finish(flask(self.env, "foi", "import", str(self.content)), "flask foi import (new response)")
        imported = time.monotonic()
        served: dict[str, float] = {}

        def watch(instance: Instance) -> None:
            deadline = imported + VERSION_TTL + 10
            while time.monotonic() < deadline:
                if (http_status(f"{instance.url}/foi/{NEW_REFERENCE}") == 200
                        and NEW_REFERENCE in _body(instance.url + "/foi")):
                    served[instance.name] = time.monotonic() - imported
                    return
                time.sleep(0.02)

        watchers = [threading.Thread(target=watch, args=(i,)) for i in self.instances]
        for watcher in watchers:
            watcher.start()
        for watcher in watchers:
            watcher.join()
        return served

    def memory(self) -> dict[str, list[float]]:
        return {instance.name: instance.worker_rss_mb() for instance in self.instances}


def _body(url: str) -> str:
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - not served (yet)
        return ""


def references(content: Path) -> list[str]:
    found = []
    for path in sorted(content.glob("*.md")):
        match = re.search(r"^reference: (\S+)", path.read_text(encoding="utf-8"), re.M)
        if match:
            found.append(match.group(1))
    return found


def fault_cycle(cluster: Cluster, windows: list[Window], gap: float) -> dict[str, float]:
    """The faults in order, ``gap`` seconds apart, each in its own window, then the
    import. However slow the machine, every step runs."""
    steps = [
        ("SIGKILL app1 + start", lambda: cluster.kill_and_restart(cluster.instances[0])),
        ("rolling restart", cluster.rolling_restart),
        ("PostgreSQL restart", cluster.restart_postgres),
        ("Redis stop + start", cluster.restart_redis),
        ("import adding a response", cluster.import_new_response),
    ]
    served = {}
    for name, action in steps:
        time.sleep(gap)
        window = Window(name, time.time())
        windows.append(window)
        result = action()
        window.end = time.time()
        if name.startswith("import"):
            served = result
    return served


def run_cluster(load_seconds: float, gap: float = 5.0, cycles: int = 1, cycle_seconds: float = 0,
                users: tuple[int, int, int] = (6, 2, 5), log=print) -> Report:
    """Start the cluster and drive it for at least ``load_seconds``: ``cycles`` rounds of the
    faults (``cycle_seconds`` apart), then quiet load until the time is up. With more than
    one cycle, the workers' memory is measured over that quiet part."""
    report = Report(load_seconds)
    with Cluster() as cluster, tempfile.TemporaryDirectory(prefix="foi-locust-") as out:
        out_dir = Path(out)
        base = cluster.balancer.url
        for path in ("/", "/foi", THROUGHPUT_PATH, "/feedback", "/cookies"):
            for _ in range(6):  # each worker's first request builds its caches
                # Not a measurement: a cold worker on a busy machine may take seconds.
                http_status(base + path, timeout=30)
        report.memory_start = cluster.memory()
        readers, consent, feedback = users
        # Locust stops when the faults are over and the time is up (the stop file), and
        # in any case after a generous bound.
        bound = 3 * load_seconds + 300
        with open(out_dir / "locust.log", "w") as locust_log:
            locust = subprocess.Popen(
                [sys.executable, "-m", "bench.cluster_load", "--host", base, "--seconds", str(bound),
                 "--out", str(out_dir), "--references", ",".join(references(cluster.content)),
                 "--min-fill", str(MIN_FILL_SECONDS), "--readers", str(readers), "--consent", str(consent),
                 "--feedback", str(feedback)],
                cwd=ROOT, stdout=locust_log, stderr=subprocess.STDOUT,
            )
        try:
            wait_until(lambda: (out_dir / "started").exists() or locust.poll() is not None, 60, "locust")
            began = time.time()
            for cycle in range(cycles):
                if cycle:
                    time.sleep(max(0.0, began + cycle * cycle_seconds - time.time()))
                    (cluster.content / f"{NEW_REFERENCE}.md").unlink()  # the next cycle adds it again
                    finish(flask(cluster.env, "foi", "import", str(cluster.content)), "flask foi import (removal)")
                report.import_seconds = fault_cycle(cluster, report.windows, gap)
                log(f"  import served in {report.import_seconds}")
            if cycles > 1:
                time.sleep(gap)
                report.memory_start = cluster.memory()
                report.memory_note = "after the last fault, then at the end"
            time.sleep(max(gap, began + load_seconds - time.time()))
            report.load_seconds = time.time() - began
            (out_dir / "stop").write_text("")
            locust.wait(timeout=bound + 120)
        finally:
            if locust.poll() is None:
                locust.kill()
        if not (out_dir / "acknowledged.json").exists():
            raise ServiceError("Locust wrote no results:\n" + (out_dir / "locust.log").read_text()[-4000:])

        report.memory_end = cluster.memory()
        measure_throughput(cluster, report)
        analyse(report, out_dir, cluster)
    return report


def measure_throughput(cluster: Cluster, report: Report, seconds: int = 5) -> None:
    from bench.harness import wrk

    if not shutil.which("wrk"):
        report.problems.append("wrk is not installed: throughput not measured (`make test` installs it)")
        return
    direct = cluster.instances[0].url + THROUGHPUT_PATH
    balanced = cluster.balancer.url + THROUGHPUT_PATH
    wrk(direct, 1, connections=4)
    report.rps_direct = wrk(direct, seconds).requests_per_second
    report.rps_balanced = wrk(balanced, seconds).requests_per_second


def analyse(report: Report, out_dir: Path, cluster: Cluster) -> None:
    import psycopg

    outcome = json.loads((out_dir / "acknowledged.json").read_text())
    acknowledged = outcome["acknowledged"]
    report.gave_up = outcome["gave_up"]
    report.problems.extend(outcome["problems"])
    with psycopg.connect(cluster.postgres.url("foi")) as connection:
        stored = [row[0] for row in connection.execute(
            "SELECT improvement FROM feedback WHERE improvement LIKE 'Sent by cluster-%'")]
    counts = Counter(text.removeprefix("Sent by ") for text in stored)
    report.acknowledged = len(acknowledged)
    report.rows = len(stored)
    report.lost = [mark for mark in acknowledged if counts[mark] == 0]
    report.doubled = [mark for mark, count in counts.items() if count > 1]
    report.doubled += [mark for mark, count in Counter(acknowledged).items() if count > 1]
    report.stored_unacknowledged = sorted(set(counts) - set(acknowledged))

    windows = [(w.start, w.end + GRACE_SECONDS) for w in report.windows]

    def in_window(record) -> bool:
        return any(record["start"] <= end and record["end"] >= start for start, end in windows)

    reader_ms = []
    with open(out_dir / "requests.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            report.requests += 1
            inside = in_window(record)
            if record["status"] == 0:
                if record["method"] == "GET":
                    report.connection_errors_get += 1
                else:
                    report.connection_errors_post += 1
                continue
            if record["status"] >= 500:
                if inside and record["status"] == 503 and record.get("technical_problem_page"):
                    report.expected_503 += 1
                    if "answers_kept" in record:
                        report.expected_503_from_site += 1
                        if record["answers_kept"]:
                            report.feedback_503_answers_kept += 1
                        else:
                            report.feedback_503_answers_lost += 1
                else:
                    report.unexpected_5xx.append(
                        {k: record[k] for k in ("method", "path", "status", "error", "page", "server") if k in record}
                        | {"at": round(record["start"] - report.windows[0].start, 1) if report.windows else 0,
                           "inside": inside})
            elif record["kind"] == "reader" and not inside:
                reader_ms.append(record["ms"])
    if reader_ms:
        reader_ms.sort()
        report.readers_measured = len(reader_ms)
        report.reader_p50_ms = statistics.median(reader_ms)
        report.reader_p99_ms = reader_ms[min(len(reader_ms) - 1, int(len(reader_ms) * 0.99))]


def run(seconds: int = 20) -> bool:
    """The soak, for ``make bench``: ten minutes, the faults every two and a half minutes."""
    del seconds  # the soak's length is its own
    report = run_cluster(SOAK_SECONDS, gap=10.0, cycles=2, cycle_seconds=SOAK_CYCLE_SECONDS)
    for line in report.lines():
        print(line)
    growth = [end - start for name in report.memory_start
              for start, end in zip(sorted(report.memory_start[name]), sorted(report.memory_end.get(name, [])), strict=False)]
    print(f"  memory growth per worker over the soak: max {max(growth, default=0):.0f} MB "
          f"(bound: the page cache, {PAGE_CACHE_BOUND_MB} MB)")
    return report.passed and max(growth, default=0) <= PAGE_CACHE_BOUND_MB


# PAGE_CACHE_ENTRIES (1024) pages of at most about 64 KB each.
PAGE_CACHE_BOUND_MB = 64
